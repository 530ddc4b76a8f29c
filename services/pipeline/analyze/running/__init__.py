"""The whole run: streaming the input in dispatch order under task slots and the limiter, journaling each
result, stopping early when every task is refused alike; and the OpenAI Batch export and import.

Imports every room above it except `analyze.report`.
"""

"""One module per scenario; each `run(sizes, out_dir)` returns the tables it measured."""

"""The Python harness, inside the sandboxed process: `python3 -I harness_py.py SPEC_FD RECORD_FD WORKDIR`.

It reads its spec (nonce, candidate, tests) from SPEC_FD and closes it before any candidate code runs,
then writes one line per test and one completion record to RECORD_FD, each led by the nonce and its own
pid, and exits 0. The server trusts nothing else: a candidate that exits early (os._exit, sys.exit),
closes the pipe or prints a result without the nonce leaves no valid record. Standalone on purpose: it
imports only the standard library, and everything it calls after the candidate ran was bound before.
"""

import contextlib
import linecache
import os
import sys
from json import loads
from json.encoder import encode_basestring_ascii  # C function: the candidate cannot patch it from here

DETAIL_CHARS = 400


def read_spec(fd: int) -> dict:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    return loads(b"".join(chunks))


def make_recorder(fd: int, nonce: str):
    """emit("test", index, ok[, detail]) / emit("done", outcome, passed, total[, detail]): one line each.

    Every name it calls is bound here, not looked up when it runs: the candidate ran in between.
    """
    write, getpid, quote, arity = os.write, os.getpid, encode_basestring_ascii, {"test": 2, "done": 3}

    def emit(kind: str, *args: object) -> None:
        n = arity[kind]
        detail = str(args[n]) if len(args) > n else ""
        fields = " ".join([str(a) for a in args[:n]])
        line = f"{nonce} {getpid()} {kind} {fields} {quote(detail[:DETAIL_CHARS])}\n"
        data = line.encode()
        while data:
            data = data[write(fd, data) :]

    return emit


def one_line(exc: BaseException) -> str:
    """ExcType: message [at file:line: source] from the innermost frame of exec'd code."""
    text = f"{type(exc).__name__}: {exc}".rstrip(": ").replace("\n", " ")
    tb, where = exc.__traceback__, ""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith("<") and name != "<string>":
            source = linecache.getline(name, tb.tb_lineno).strip()
            where = f" at {name}:{tb.tb_lineno}: {source}" if source else f" at {name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return text + where


def compiled(source: str, name: str):
    """Compile with the source kept in linecache, so a failure can quote its line."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return compile(source, name, "exec")


def failure_kind(exc: BaseException) -> str:
    """failed: a test's assertion; error: anything else (a crash, exit(), a limit)."""
    return "failed" if isinstance(exc, AssertionError) else "error"


def run_humaneval(spec: dict, emit, env: dict) -> None:
    exec(compiled(spec["code"], "<candidate>"), env)
    exec(compiled(spec["test"], "<test>"), env)
    check, candidate = env.get("check"), env.get(spec["entry_point"])
    if not callable(check) or not callable(candidate):
        emit("done", "error", 0, 1, f"check or {spec['entry_point']} is not defined")
        return
    try:
        check(candidate)
    except Exception as exc:
        emit("test", 0, 0, one_line(exc))
        emit("done", failure_kind(exc), 0, 1, one_line(exc))
        return
    emit("test", 0, 1)
    emit("done", "passed", 1, 1)


def run_assertions(spec: dict, emit, env: dict) -> None:
    prelude = "\n".join([*spec["imports"], spec["setup"]])
    exec(compiled(prelude, "<setup>"), env)
    exec(compiled(spec["code"], "<candidate>"), env)
    asserts, passed, first, worst = spec["asserts"], 0, "", "passed"
    for i, text in enumerate(asserts):
        try:
            exec(compiled(text, f"<assert {i}>"), env)
        except Exception as exc:
            detail = f"{one_line(exc)} ({text.strip()[:200]})"
            emit("test", i, 0, detail)
            first = first or detail
            worst = "error" if worst == "error" else failure_kind(exc)
            continue
        passed += 1
        emit("test", i, 1)
    emit("done", worst, passed, len(asserts), first)


def run_script(spec: dict, emit, env: dict) -> None:
    exec(compiled(spec["code"], "<candidate>"), env)
    exec(compiled(spec["script"], "<script>"), env)
    emit("test", 0, 1)
    emit("done", "passed", 1, 1)


def run_stdio(spec: dict, emit, env: dict) -> None:
    """A program that ends by exit(0) or sys.exit() has completed: that is how many programs end."""
    try:
        exec(compiled(spec["code"], "<candidate>"), env)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            emit("done", "error", 0, 1, f"exit status {exc.code}")
            return
    sys.stdout.flush()
    emit("done", "ran", 0, 1)  # the server compares stdout with the expected output


RUNNERS = {"humaneval": run_humaneval, "assertions": run_assertions, "script": run_script, "stdio": run_stdio}


def main() -> None:
    spec_fd, record_fd = int(sys.argv[1]), int(sys.argv[2])
    os.chdir(sys.argv[3])  # the slot's scratch dir, mode 0700: only its own uid can enter it
    spec = read_spec(spec_fd)
    os.set_inheritable(record_fd, False)  # a candidate's subprocesses do not get the record pipe
    emit = make_recorder(record_fd, spec.pop("nonce"))
    _exit, flush = os._exit, sys.stdout.flush
    try:  # the OOM killer takes a candidate before the server
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError:
        pass
    sys.argv = ["candidate"]
    main_name = "__main__" if spec["kind"] in ("stdio", "script") else "__candidate__"
    env = {"__name__": main_name, "__builtins__": __builtins__}
    try:
        RUNNERS[spec["kind"]](spec, emit, env)
    except SystemExit as exc:
        emit("done", "error", 0, 1, f"SystemExit({exc.code!r}) before the tests completed")
    except BaseException as exc:
        emit("done", failure_kind(exc), 0, 1, one_line(exc))
    with contextlib.suppress(BaseException):
        flush()
    _exit(0)


if __name__ == "__main__":
    main()

"""Nothing blocking runs on the event loop (issue 24).

An ``async def`` in the web package runs on the worker's one event loop: a
database call or an argon2 hash there stalls every other request of that
worker, and waiting there for a pooled connection froze whole workers. So
``async def`` is kept for reading bodies, middleware and exception handlers,
and this test reads the source (AST) of every one of them for calls that
block: the database session, the store's modules, the throttle and the
password hasher. Handing a function to a thread (``run_in_threadpool(f, ...)``,
``run_in_executor(..., f)``) passes it uncalled and is fine; an awaited call
is asynchronous by definition.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kneecoach.web

WEB = Path(kneecoach.web.__file__).parent

#: Functions that block wherever they are called from.
BLOCKING_FUNCTIONS = frozenset({
    "hash_password", "verify_password", "needs_rehash", "authenticate", "change_password", "transaction",
    "start_session", "end_session", "open_session", "close_session", "session_is_live", "close_all_sessions",
    "live_session_count", "erase_user", "export_zip", "submit_upload", "import_upload", "worker_for",
})
#: Methods of a SQLAlchemy session/engine/connection, the throttle and the hasher.
BLOCKING_METHODS = frozenset({
    "execute", "scalar", "scalars", "commit", "flush", "rollback", "add_all", "delete", "refresh", "merge",
    "connect", "begin", "begin_nested", "expire_all", "acquire", "release", "record", "retry_after",
    "hash", "verify", "check_needs_rehash", "submit", "read_bytes", "write_bytes",
})
#: Modules whose functions all touch the database (called as ``repo.x(...)``).
BLOCKING_MODULES = frozenset({"repo", "services", "repo_jobs", "web_jobs", "jobs", "imports", "portability",
                              "limits", "throttle"})
#: Parameters that mean "this function uses the database session".
SESSION_DEFAULTS = frozenset({"DB"})


def _direct_problems(fn: ast.FunctionDef | ast.AsyncFunctionDef, filename: str,
                     local_blocking: frozenset[str]) -> list[str]:
    """Blocking calls and session parameters in one function's own body."""
    problems: list[str] = []
    defaults = [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d is not None)]
    for d in defaults:
        if isinstance(d, ast.Name) and d.id in SESSION_DEFAULTS:
            problems.append(f"{filename}:{fn.lineno} {fn.name}: takes the database session ({d.id})")
    for arg in [*fn.args.args, *fn.args.kwonlyargs]:
        if isinstance(arg.annotation, ast.Name) and arg.annotation.id == "Session":
            problems.append(f"{filename}:{fn.lineno} {fn.name}: takes a Session")
    awaited = {id(node.value) for node in ast.walk(fn) if isinstance(node, ast.Await)}
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call) or id(node) in awaited:
            continue
        func = node.func
        if isinstance(func, ast.Name) and (func.id in BLOCKING_FUNCTIONS or func.id in local_blocking):
            problems.append(f"{filename}:{node.lineno} {fn.name}: calls {func.id}()")
        elif isinstance(func, ast.Attribute):
            if func.attr in BLOCKING_METHODS or func.attr in BLOCKING_FUNCTIONS:
                problems.append(f"{filename}:{node.lineno} {fn.name}: calls .{func.attr}()")
            elif isinstance(func.value, ast.Name) and func.value.id in BLOCKING_MODULES:
                problems.append(f"{filename}:{node.lineno} {fn.name}: calls {func.value.id}.{func.attr}()")
    return problems


def blocking_calls(source: str, filename: str = "<src>") -> list[str]:
    """``file:line function: call`` for every blocking call or session parameter inside an ``async def``.

    A plain function of the same module that blocks (by the same rules,
    repeated until nothing changes) counts as blocking when an ``async def``
    calls it, so a helper cannot hide a database call.
    """
    tree = ast.parse(source, filename)
    sync = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    local: frozenset[str] = frozenset()
    while True:
        found = frozenset(f.name for f in sync if _direct_problems(f, filename, local))
        if found == local:
            break
        local = found
    problems: list[str] = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.AsyncFunctionDef):
            problems += _direct_problems(fn, filename, local)
    return problems


def test_no_async_function_in_the_web_package_blocks_the_event_loop() -> None:
    problems: list[str] = []
    for path in sorted(WEB.rglob("*.py")):
        problems += blocking_calls(path.read_text(encoding="utf-8"), str(path.relative_to(WEB.parent)))
    assert problems == [], "blocking work on the event loop:\n" + "\n".join(problems)


def test_the_check_finds_the_blocking_login_of_issue_24() -> None:
    """The check is not vacuous: the old ``async def login`` and an async session user are caught."""
    old_login = '''
@router.post("/login")
async def login(request: Request, db: Session = DB) -> Response:
    form = await request.form()
    user, error = authenticate(request, db, str(form.get("email")), str(form.get("password")))
    request.app.state.throttle.release([1])
    return RedirectResponse("/", status_code=303)

async def page(request: Request, db=DB):
    user = repo.get_user(db, 1)
    db.execute(text("SELECT 1"))
    digest = hash_password("x")
    ok = await run_in_threadpool(verify_password, digest, "x")  # fine: handed to a thread
'''
    found = blocking_calls(old_login)
    assert any("login: takes a Session" in p for p in found)
    assert any("login: calls authenticate()" in p for p in found)
    assert any("login: calls .release()" in p for p in found)
    assert any("page: takes the database session (DB)" in p for p in found)
    assert any("page: calls repo.get_user()" in p for p in found)
    assert any("page: calls .execute()" in p for p in found)
    assert any("page: calls hash_password()" in p for p in found)
    assert not any("verify_password" in p for p in found)


def test_a_helper_that_blocks_makes_its_async_caller_fail() -> None:
    """The old video upload called a local helper that stored the clip: caught through the helper."""
    source = '''
def _submit(request, user, clip):
    return jobs_for(request.app).submit(user.id, clip.file)

def _outer(request, user, clip):
    return _submit(request, user, clip)

async def upload_page(request, clip, user):
    job_id = _outer(request, user, clip)
'''
    assert any("upload_page: calls _outer()" in p for p in blocking_calls(source))

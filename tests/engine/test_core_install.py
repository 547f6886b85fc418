"""The core install (no extras) runs the embedded default: nothing on that path may import an extra's module.

The check-release script proves this on a real wheel; this test catches it in seconds by hiding the extras' modules
in a fresh interpreter (a `None` entry in `sys.modules` makes their import fail exactly as an absent package does).
"""

import subprocess
import sys
import textwrap

EXTRAS = ("pyodbc", "arrow_odbc", "pyspark", "weasyprint", "xlwings")


def run_without_extras(code: str) -> subprocess.CompletedProcess[str]:
    hide = "".join(f"sys.modules[{name!r}] = None\n" for name in EXTRAS)
    program = "import sys\n" + hide + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)


def test_the_cli_and_every_job_import_without_any_extra() -> None:
    result = run_without_extras(
        """
        import engine.cli, engine.jobs, engine.store.spark.lake, engine.publish.table_shapes
        from engine.store.server import layout, connect
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_reaching_the_server_without_its_extras_says_how_to_install_them() -> None:
    result = run_without_extras(
        """
        from engine.errors import ServerError
        try:
            from engine.store.server import Server
        except ServerError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "ics-plics-benchmarking[sqlserver]" in result.stdout
    assert "pyodbc" in result.stdout

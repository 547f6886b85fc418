"""`icsbench excel install` and `build`: the file work on a Windows profile laid out in a temp folder, and the CLI."""

from __future__ import annotations

import locale
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PureWindowsPath

import pytest
from click.testing import CliRunner

from addin import build, cli, install
from tests.addin import fake_excel
from tests.addin.windows_xlwings import Desktop, windows_xlwings

DLL = "xlwings64-0.37.8.dll"


@pytest.fixture
def profile(tmp_path: Path) -> install.Locations:
    """A Windows user's profile: home, AppData, and a virtual environment whose root holds the xlwings DLL."""
    venv = tmp_path / "venv"
    (venv / "Scripts").mkdir(parents=True)
    (venv / DLL).write_bytes(b"MZ")
    return install.Locations.for_user(
        tmp_path / "home", tmp_path / "AppData" / "Roaming", venv / "Scripts" / "python.exe"
    )


def _run(plan: list[install.Step]) -> list[str]:
    said: list[str] = []
    install.run_steps(plan, said.append)
    return said


def test_install_puts_the_addin_in_xlstart_and_writes_its_settings(profile: install.Locations, tmp_path: Path) -> None:
    said = _run(install.steps(profile, xlwings_addin=False))
    xlstart = tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    assert Path(profile.xlstart) == xlstart
    assert (xlstart / "ICS Benchmarking.xlam").read_bytes() == build.xlam_bytes()
    config = tmp_path / "home" / ".icsbench" / "icsbench.conf"
    assert (
        config.read_bytes()
        == (
            f'"INTERPRETER_WIN","{profile.interpreter}"\r\n"UDF MODULES","addin.udfs"\r\n'
            '"ADD_WORKBOOK_TO_PYTHONPATH","False"\r\n'
        ).encode()
    )
    assert said[0] == f"1. build ICS Benchmarking.xlam and copy it to Excel's startup folder {xlstart}"
    assert said[1].startswith(f"   wrote {xlstart / 'ICS Benchmarking.xlam'} (")
    assert said[3] == f"   {config}: INTERPRETER_WIN = {profile.interpreter}, UDF MODULES = addin.udfs, " + (
        "ADD_WORKBOOK_TO_PYTHONPATH = False"
    )
    assert said[5] == f"   found {tmp_path / 'venv' / DLL}"
    assert len(said) == 6


def test_settings_already_there_are_kept_and_ours_updated(profile: install.Locations) -> None:
    config = Path(profile.config_file)
    config.parent.mkdir(parents=True)
    config.write_text('"interpreter_win","C:\\old\\python.exe"\r\n"CONDA PATH","C:\\conda"\r\n', encoding="utf-8")
    changed = install.write_config(config, install.config_settings(profile.interpreter))
    assert changed == ["INTERPRETER_WIN", "UDF MODULES", "ADD_WORKBOOK_TO_PYTHONPATH"]
    assert config.read_text(encoding="utf-8").splitlines() == [
        f'"INTERPRETER_WIN","{profile.interpreter}"',
        '"CONDA PATH","C:\\conda"',
        '"UDF MODULES","addin.udfs"',
        '"ADD_WORKBOOK_TO_PYTHONPATH","False"',
    ]
    assert install.write_config(config, install.config_settings(profile.interpreter)) == []
    with pytest.raises(install.InstallError, match="quote"):
        install.write_config(config, {"PYTHONPATH": 'C:\\a "b"'})


def test_a_missing_xlwings_dll_is_an_error_that_says_what_to_install(tmp_path: Path) -> None:
    locations = install.Locations.for_user(tmp_path, tmp_path, tmp_path / "Python311" / "python.exe")
    with pytest.raises(install.InstallError, match=r"no xlwings64-0\.37\.8\.dll in .*pip install 'xlwings==0\.37\.8'"):
        _run(install.steps(locations, xlwings_addin=False))


def test_the_xlwings_addin_is_installed_by_xlwings_itself(profile: install.Locations) -> None:
    calls: list[list[str]] = []

    def xlwings_says(text: str, code: int = 0) -> Callable[..., subprocess.CompletedProcess[str]]:
        def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
            calls.append(command)
            return subprocess.CompletedProcess(command, code, stdout=text, stderr="")

        return run

    plan = install.steps(profile, run=xlwings_says("Successfully installed the xlwings add-in!\n"))
    assert plan[0].summary == "install the xlwings add-in (`xlwings addin install`)"
    assert plan[0].action() == "Successfully installed the xlwings add-in!"
    assert calls == [[str(profile.interpreter), "-m", "xlwings.cli", "addin", "install"]]
    failing = install.steps(profile, run=xlwings_says("Error: Failed to install the add-in: If Excel is running..."))
    with pytest.raises(install.InstallError, match="Failed to install the add-in"):
        failing[0].action()
    with pytest.raises(install.InstallError, match="exit code 1"):
        install.steps(profile, run=xlwings_says("", 1))[0].action()


def test_off_windows_the_command_changes_nothing_and_says_what_it_would_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.excel, ["install"], env={"USERPROFILE": str(tmp_path), "APPDATA": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Setting Excel up needs Windows with Excel; this is {sys.platform}, so nothing was changed.",
        "On Windows, `icsbench excel install` would:",
        "1. install the xlwings add-in (`xlwings addin install`)",
        "2. build ICS Benchmarking.xlam and copy it to Excel's startup folder "
        r"<the one Excel gives, usually %APPDATA%\Microsoft\Excel\XLSTART>",
        r"3. write the add-in's settings (interpreter, UDF module addin.udfs) to %USERPROFILE%\.icsbench\icsbench.conf",
        r"4. check that the xlwings DLL is where the add-in looks for it, beside <this Python>\python.exe",
        "To build the add-in file here, run `icsbench excel build`.",
    ]
    assert list(tmp_path.iterdir()) == []


def test_on_windows_the_command_does_each_step_and_says_so(
    profile: install.Locations, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_on_windows", lambda: True)
    moved = tmp_path / "H" / "Office" / "XLSTART"  # where IT put the user's startup folder; Excel knows it
    monkeypatch.setattr(install, "excel_startup_folder", lambda: moved)
    env = {"USERPROFILE": str(tmp_path / "home"), "APPDATA": str(tmp_path / "AppData" / "Roaming")}
    args = ["install", "--skip-xlwings-addin", "--python", str(profile.interpreter)]
    result = CliRunner().invoke(cli.excel, args, env=env)
    assert result.exit_code == 0, result.output
    assert (moved / build.XLAM_NAME).exists() and not Path(profile.xlstart).exists()
    assert Path(profile.config_file).exists()
    assert result.output.count("\n   ") == 3
    assert result.output.rstrip().endswith(
        "the ICS Benchmarking tab and the ICS_ functions come from ICS Benchmarking.xlam."
    )

    (tmp_path / "venv" / DLL).unlink()
    result = CliRunner().invoke(cli.excel, args, env=env)
    assert result.exit_code == 1
    assert "Error: no xlwings64-0.37.8.dll" in result.output

    def no_excel() -> Path:
        raise install.InstallError("could not ask Excel for its startup folder (...); pass --xlstart FOLDER")

    monkeypatch.setattr(install, "excel_startup_folder", no_excel)
    result = CliRunner().invoke(cli.excel, args, env=env)
    assert result.exit_code == 1 and "pass --xlstart FOLDER" in result.output


def test_the_startup_folder_is_the_one_excel_gives_asked_as_xlwings_asks(tmp_path: Path) -> None:
    moved = r"\\profiles\finance$\jbloggs\Excel\XLSTART"
    desktop = Desktop()
    with windows_xlwings(desktop):
        running = fake_excel.Excel(hwnd=5150, startup_path=moved)
        desktop.add(running)
        assert install.excel_startup_folder() == Path(moved)  # the running Excel's Application.StartupPath
        desktop.excels.clear()
        started: list[fake_excel.Excel] = []
        desktop.new_excel = lambda: started.append(fake_excel.Excel(hwnd=6160, startup_path=moved)) or started[-1]
        assert install.excel_startup_folder() == Path(moved)  # none running: a hidden Excel is asked, then quit
        assert [call[0] for call in started[0].calls if call[0] in ("Quit", "Workbooks.Open")] == ["Quit"]
        desktop.excels.clear()  # the hidden Excel has quit
        desktop.new_excel = None  # and no Excel can be started
        with pytest.raises(install.InstallError, match=r"could not ask Excel for its startup folder .*--xlstart"):
            install.excel_startup_folder()


def test_the_settings_are_written_in_the_code_page_vba_reads(tmp_path: Path) -> None:
    config = tmp_path / "icsbench.conf"
    interpreter = PureWindowsPath(r"C:\Users\Zoë Brontë\icsbench\Scripts\python.exe")
    install.write_config(config, install.config_settings(interpreter), "cp1252")
    written = config.read_bytes()
    assert b"C:\\Users\\Zo\xeb Bront\xeb\\icsbench" in written  # Windows-1252, as VBA's Input # reads it
    assert "Zoë".encode() not in written  # not UTF-8, which VBA would read as ZoÃ«
    assert install.write_config(config, install.config_settings(interpreter), "cp1252") == []  # read back the same
    polish = PureWindowsPath(r"C:\Users\Łukasz\icsbench\Scripts\python.exe")
    refused = r"has Ł, which Excel's VBA cannot read on this Windows \(code page cp1252\)"
    with pytest.raises(install.InstallError, match=refused):
        install.write_config(config, install.config_settings(polish), "cp1252")
    assert install.vba_encoding() == locale.getencoding()


def test_build_command_writes_the_addin(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.excel, ["build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {tmp_path / build.XLAM_NAME}\n"
    assert (tmp_path / build.XLAM_NAME).read_bytes() == build.xlam_bytes()

@echo off
rem Offline install of ICS PLICS Benchmarking from this folder (install.py says what it does). Needs 64-bit
rem Python 3.11 or later; double-click it, or run it from a Command Prompt with install.py's options.
setlocal
where py >nul 2>nul
if %errorlevel%==0 (
    py -3 "%~dp0install.py" %*
) else (
    python "%~dp0install.py" %*
)
if errorlevel 1 pause

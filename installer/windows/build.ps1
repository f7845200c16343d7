<#
.SYNOPSIS
    Builds the Windows app and its installer: dist\aigcverify\ and
    dist\aigcverify-<version>-windows-x64-setup.exe.

.DESCRIPTION
    1. a build virtualenv (.venv-dist) with the pinned dependencies and PyInstaller
       (extra "dist"), from requirements-lock.txt;
    2. PyInstaller with installer\aigcverify.spec (the same spec as `make dist` on Linux);
    3. a check that the frozen CLI starts (and, with -Test, the full smoke test);
    4. Inno Setup 6 (ISCC.exe) with installer\windows\aigcverify.iss.
    Run from any folder:  powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
    Needs: Python (py launcher) in the version below, Inno Setup 6, network for step 1 only.

.PARAMETER PythonVersion
    Python to build with (the py launcher's -X.Y). Must match what the project supports.

.PARAMETER Test
    Also run the frozen-bundle smoke test (tests\dist) against the build.
#>
[CmdletBinding()]
param(
    [string]$PythonVersion = "3.11",
    [string]$Iscc = "",
    [switch]$Test
)
$ErrorActionPreference = "Stop"

function Invoke-Checked {
    param([string]$What, [scriptblock]$Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root
$Venv = Join-Path $Root ".venv-dist"
$Py = Join-Path $Venv "Scripts\python.exe"

if (-not (Test-Path $Py)) {
    Invoke-Checked "creating the build virtualenv" { py "-$PythonVersion" -m venv $Venv }
}
$Extras = if ($Test) { ".[dist,test]" } else { ".[dist]" }
Invoke-Checked "installing the pinned dependencies" {
    & $Py -m pip install --disable-pip-version-check -q -c requirements-lock.txt -e $Extras
}

# PyInstaller's cache stays inside build\ (nothing under the user profile)
$env:PYINSTALLER_CONFIG_DIR = Join-Path $Root "build\pyinstaller\config"
Invoke-Checked "PyInstaller" {
    & $Py -m PyInstaller --noconfirm --clean --log-level WARN `
        --distpath dist --workpath build\pyinstaller installer\aigcverify.spec
}

$Cli = Join-Path $Root "dist\aigcverify\aigcverify.exe"
$VersionLine = (& $Cli --version | Out-String).Trim()   # "aigcverify 0.1.0"
if ($LASTEXITCODE -ne 0 -or $VersionLine -notmatch '^aigcverify (\S+)$') {
    throw "the frozen CLI does not start: '$VersionLine'"
}
$Version = $Matches[1]

if ($Test) {
    $env:AIGCVERIFY_DIST = Join-Path $Root "dist\aigcverify"
    $env:QT_QPA_PLATFORM = "offscreen"
    Invoke-Checked "the frozen-bundle smoke test" { & $Py -m pytest -q -p no:cacheprovider tests\dist }
}

if (-not $Iscc) {
    $Candidates = @(
        (Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"),
        (Join-Path $env:ProgramFiles "Inno Setup 6\ISCC.exe"),
        (Join-Path $env:LOCALAPPDATA "Programs\Inno Setup 6\ISCC.exe")
    )
    $Iscc = $Candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $Iscc) { throw "Inno Setup 6 not found: install it or pass -Iscc <path to ISCC.exe>" }
}
Invoke-Checked "Inno Setup" { & $Iscc "/DAppVersion=$Version" "installer\windows\aigcverify.iss" }
Write-Host "built dist\aigcverify-$Version-windows-x64-setup.exe"

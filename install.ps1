<#
.SYNOPSIS
    Set up xl_kpi for Excel on Windows: Python environment, package, Excel add-in.
.DESCRIPTION
    This script only bootstraps Python. It finds Python 3.11 or newer (the add-in's ribbon
    needs xlwings 0.37.6, which needs Python 3.11), creates a virtual
    environment in %LOCALAPPDATA%\xl_kpi\venv, installs xl_kpi from this folder into it and
    runs `xl-kpi install`, which puts the add-in (ribbon tab "KPI") into Excel's XLSTART folder.
    Run it from this folder:   powershell -ExecutionPolicy Bypass -File .\install.ps1
.PARAMETER ImportUdfs
    Also import the Excel functions (=CHURN_RATE() ...) into the add-in. Excel must briefly
    trust access to the VBA project; you are asked first and the setting is restored afterwards.
.PARAMETER Uninstall
    Reverse everything: `xl-kpi uninstall`, then delete the virtual environment.
#>
[CmdletBinding()]
param([switch]$Uninstall, [switch]$ImportUdfs)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$AppDir = Join-Path $env:LOCALAPPDATA 'xl_kpi'
$Venv = Join-Path $AppDir 'venv'
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$XlKpi = Join-Path $Venv 'Scripts\xl-kpi.exe'

function Stop-WithMessage([string]$Message) {
    Write-Host $Message -ForegroundColor Red
    exit 1
}

# Native programs do not stop the script on failure by themselves: check their exit code.
function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { Stop-WithMessage "Failed (exit code $LASTEXITCODE): $Exe $Arguments" }
}

# Path of a Python >= 3.11: the py launcher (python.org installs) first, then python on the PATH.
function Find-Python {
    $probe = 'import sys; print(sys.executable) if sys.version_info >= (3, 11) else sys.exit(1)'
    foreach ($candidate in @(@('py', '-3'), @('python'))) {
        if (-not (Get-Command $candidate[0] -ErrorAction SilentlyContinue)) { continue }
        try {
            $found = & $candidate[0] @($candidate | Select-Object -Skip 1) -c $probe 2>$null
            if ($LASTEXITCODE -eq 0 -and $found) { return ([string]$found).Trim() }
        } catch { }  # e.g. the Microsoft Store stub "python.exe" that only opens the Store
    }
    return $null
}

if ($Uninstall) {
    if (Test-Path $XlKpi) { Invoke-Checked $XlKpi @('uninstall') }
    if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
    if ((Test-Path $AppDir) -and -not (Get-ChildItem -Force $AppDir)) { Remove-Item $AppDir }
    Write-Host 'xl_kpi is removed. Restart Excel.'
    exit 0
}

$Python = Find-Python
if (-not $Python) {
    Stop-WithMessage ("Python 3.11 or newer was not found. Install it with`n" +
        "    winget install Python.Python.3.12`n" +
        "or from https://www.python.org/downloads/windows/ , then run this script again.")
}
Write-Host "Using Python: $Python"
if (-not (Test-Path $VenvPython)) { Invoke-Checked $Python @('-m', 'venv', $Venv) }
Invoke-Checked $VenvPython @('-m', 'pip', 'install', '--upgrade', $PSScriptRoot)
$InstallArgs = @('install')
if ($ImportUdfs) { $InstallArgs += '--import-udfs' }
Invoke-Checked $XlKpi $InstallArgs
Write-Host "Done. Try it: $XlKpi demo"

; Inno Setup 6 script: the Windows installer of AIGCVerify (AIGC 标识核验).
;
; Packs the one-folder PyInstaller bundle dist\aigcverify\ (built by installer\windows\build.ps1
; from installer\aigcverify.spec) into dist\aigcverify-<version>-windows-x64-setup.exe.
; build.ps1 runs:  ISCC.exe /DAppVersion=<version> installer\windows\aigcverify.iss
;
; Per-user install by default (no administrator rights needed; %LOCALAPPDATA%\Programs\AIGCVerify),
; all-users on request. The uninstaller removes the program only: the user's data folder
; (%LOCALAPPDATA%\AIGCVerify: settings and the report log, which is evidence) is never deleted.

#ifndef AppVersion
  #error Pass the version: ISCC.exe /DAppVersion=0.1.0 aigcverify.iss (build.ps1 does this)
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\aigcverify"
#endif
#ifndef IconFile
  ; drawn from resources\icons\app.svg by installer\app_icons.py while the spec runs
  #define IconFile "..\..\build\pyinstaller\icons\app.ico"
#endif
#define GuiExe "aigcverify-gui.exe"
; Chinese Simplified ships with recent Inno Setup releases; older ones need ChineseSimplified.isl
; from jrsoftware.org/files/istrans/ in their Languages folder. Without it the installer is English.
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
  #define HaveChinese
#endif

[Setup]
; AppId identifies the installed program for upgrades and uninstall: never change it.
AppId={{7228CED6-129A-49B3-A800-B51CB8BD1C06}
AppName=AIGCVerify
AppVersion={#AppVersion}
AppVerName=AIGCVerify {#AppVersion}
AppPublisher=AIGCVerify
VersionInfoVersion={#AppVersion}
VersionInfoDescription=AIGC Label Verifier setup
DefaultDirName={autopf}\AIGCVerify
DefaultGroupName=AIGCVerify
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=aigcverify-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName=AIGCVerify {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; the app may be running (it keeps worker processes): ask to close it before files are replaced
CloseApplications=yes
RestartApplications=no

[Languages]
#ifdef HaveChinese
Name: "zh"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif
Name: "en"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
#ifdef HaveChinese
zh.AppTitle=AIGC 标识核验
zh.DesktopIcon=在桌面创建快捷方式
zh.LaunchApp=启动 AIGC 标识核验
#endif
en.AppTitle=AIGC Label Verifier
en.DesktopIcon=Create a desktop shortcut
en.LaunchApp=Start the AIGC Label Verifier

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopIcon}"; Flags: unchecked

[Files]
; the whole bundle: both programs and the shared _internal folder
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; an upgrade replaces the bundle as a whole: files of the old version must not linger
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
; start in the program folder, which only the installer writes: libraries are never looked up
; in a folder where downloaded files land
Name: "{autoprograms}\{cm:AppTitle}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"
Name: "{autodesktop}\{cm:AppTitle}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchApp}"; WorkingDir: "{app}"; Flags: nowait postinstall skipifsilent

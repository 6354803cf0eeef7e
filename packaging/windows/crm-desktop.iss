; Inno Setup script for crm-desktop on Windows (Inno Setup 6.3 or later).
;
; Build the bundle first, on Windows:   uv run python packaging\build.py
; then the installer:                     iscc packaging\windows\crm-desktop.iss
; (or iscc /DAppVersion=0.2.0 ... to stamp another version). The installer lands in
; dist\installer\crm-desktop-<version>-setup.exe.
;
; Installs per user by default (no administrator rights needed; the user may choose all
; users). The data is never in the program folder: it lives in the user's AppData, so
; uninstalling keeps it, and an update keeps it too.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "crm-desktop"
#define AppExe "crm-desktop.exe"
#define Bundle "..\..\dist\crm-desktop"

[Setup]
; The AppId identifies the app across versions: never change it.
AppId={{2D693687-7A8F-5A94-B4ED-217FD9C0A259}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The crm-desktop authors
AppPublisherURL=https://github.com/crm-desktop/crm-desktop
AppSupportURL=https://github.com/crm-desktop/crm-desktop/issues
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist\installer
OutputBaseFilename=crm-desktop-{#AppVersion}-setup
SetupIconFile=..\..\build\icons\crm-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running crm-desktop (it may sit in the tray) before files are replaced.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "german"; MessagesFile: "compiler:Languages\German.isl"
Name: "french"; MessagesFile: "compiler:Languages\French.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A previous version's libraries must not linger beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Customers, deals, activities and reports"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

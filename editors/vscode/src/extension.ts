// The asldbg debug type: VS Code runs `asldbg dap` and speaks the Debug
// Adapter Protocol with it on its standard input and output.
import * as vscode from 'vscode';

class Factory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const bin = vscode.workspace.getConfiguration('asldbg').get<string>('path') || 'asldbg';
    return new vscode.DebugAdapterExecutable(bin, ['dap']);
  }
}

class Configurations implements vscode.DebugConfigurationProvider {
  // F5 with no launch.json: debug the file in the editor.
  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        return undefined;
      }
      return {
        type: 'asldbg',
        request: 'launch',
        name: 'Debug the state machine',
        definition: editor.document.fileName,
        stopOnEntry: true,
      };
    }
    return config;
  }
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('asldbg', new Factory()),
    vscode.debug.registerDebugConfigurationProvider('asldbg', new Configurations()),
  );
}

export function deactivate(): void {}

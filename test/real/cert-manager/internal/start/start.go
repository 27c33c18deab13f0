// Package start holds what our three mains share with cert-manager's own (cmd/*/main.go and cmd/*/app at v1.21.2):
// the exit handler, the logger, and the --config file loading where flags given on the command line win.
package start

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/cert-manager/cert-manager/internal/cmd/util"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util/configfile"
)

// Main runs the command as cert-manager's mains do: SIGINT/SIGTERM cancel the context, the exit code follows the error.
func Main(component string, newCommand func() *cobra.Command) {
	ctx, exit := util.SetupExitHandler(context.Background(), util.GracefulShutdown)
	defer exit() // may call os.Exit, so deferred first

	logf.InitLogs()
	defer logf.FlushLogs()
	ctrl.SetLogger(logf.Log)
	ctx = logf.NewContext(ctx, logf.Log, component)

	if err := newCommand().ExecuteContext(ctx); err != nil {
		logf.Log.Error(err, "error executing command")
		util.SetExitCode(err)
	}
}

// LoadConfigFile reads a --config file into the configuration (copyInto copies the decoded file over it), then parses
// the command line again so that flags override the file, and calls hook (feature gates) before and after.
func LoadConfigFile(cmd *cobra.Command, path string, file configfile.ConfigFile, copyInto func(), hook func() error) error {
	if err := hook(); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	loader, err := configfile.NewConfigurationFSLoader(nil, abs)
	if err != nil {
		return fmt.Errorf("failed to load config file %s: %w", path, err)
	}
	if err := loader.Load(file); err != nil {
		return fmt.Errorf("failed to load config file %s: %w", path, err)
	}
	copyInto()
	if err := cmd.ParseFlags(os.Args[1:]); err != nil {
		return fmt.Errorf("failed to re-parse flags: %w", err)
	}
	return hook()
}

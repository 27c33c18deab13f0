// cert-manager's webhook as its own main runs it (cmd/webhook/main.go and cmd/webhook/app/webhook.go at v1.21.2): the
// same flags (pkg/webhook/options), --config file, validation, then NewCertManagerWebhookServer(...).Run. Only the
// cobra wiring is ours: cmd/webhook is a Go module of its own that no proxy serves.
package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cert-manager/cert-manager/aigw-otel-injector-real-parts/internal/start"
	"github.com/cert-manager/cert-manager/internal/apis/config/webhook/validation"
	cmwebhook "github.com/cert-manager/cert-manager/internal/webhook"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"
	webhookconfigfile "github.com/cert-manager/cert-manager/pkg/webhook/configfile"
	"github.com/cert-manager/cert-manager/pkg/webhook/options"
)

func main() { start.Main("webhook", command) }

func command() *cobra.Command {
	flags := options.NewWebhookFlags()
	cfg, err := options.NewWebhookConfiguration()
	if err != nil {
		panic(err)
	}
	cmd := &cobra.Command{
		Use:           "webhook",
		SilenceErrors: true,
		SilenceUsage:  true,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			file := webhookconfigfile.New()
			if err := start.LoadConfigFile(cmd, flags.Config, file, func() { file.Config.DeepCopyInto(cfg) }, func() error {
				return utilfeature.DefaultMutableFeatureGate.SetFromMap(cfg.FeatureGates)
			}); err != nil {
				return err
			}
			if errs := validation.ValidateWebhookConfiguration(cfg, nil); len(errs) > 0 {
				return fmt.Errorf("error validating flags: %w", errs.ToAggregate())
			}
			return logf.ValidateAndApply(&cfg.Logging)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := cmwebhook.NewCertManagerWebhookServer(logf.FromContext(cmd.Context(), "webhook"), *cfg)
			if err != nil {
				return err
			}
			return srv.Run(cmd.Context())
		},
	}
	flags.AddFlags(cmd.Flags())
	options.AddConfigFlags(cmd.Flags(), cfg)
	return cmd
}

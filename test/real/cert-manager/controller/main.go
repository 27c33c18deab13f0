// cert-manager's controller, as cmd/controller (main.go, app/start.go, app/controller.go, app/options at v1.21.2)
// runs it: the configuration defaulted by cert-manager's config scheme, a --config file, cert-manager's validation,
// the PEM size limits, then controller.NewContextFactory, the metrics and healthz servers, leader election on the
// Lease cert-manager-controller, and every registered controller that the configuration enables, with the same
// issuers linked in. cmd/controller is a Go module of its own that no proxy serves, so the wiring and the flags are
// ours: the flags the cert-manager Helm chart passes, plus --kubeconfig and the listen addresses; anything else goes in
// the --config file, as the chart's `config` value does.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/resource"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	cliflag "k8s.io/component-base/cli/flag"

	"github.com/cert-manager/cert-manager/aigw-otel-injector-real-parts/internal/start"
	config "github.com/cert-manager/cert-manager/internal/apis/config/controller"
	configscheme "github.com/cert-manager/cert-manager/internal/apis/config/controller/scheme"
	defaults "github.com/cert-manager/cert-manager/internal/apis/config/controller/v1alpha1"
	"github.com/cert-manager/cert-manager/internal/apis/config/controller/validation"
	"github.com/cert-manager/cert-manager/internal/controller/feature"
	"github.com/cert-manager/cert-manager/internal/pem"
	configv1alpha1 "github.com/cert-manager/cert-manager/pkg/apis/config/controller/v1alpha1"
	"github.com/cert-manager/cert-manager/pkg/controller"
	shimgateways "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/gateways"
	controllerconfigfile "github.com/cert-manager/cert-manager/pkg/controller/configfile"
	"github.com/cert-manager/cert-manager/pkg/healthz"
	dnsutil "github.com/cert-manager/cert-manager/pkg/issuer/acme/dns/util"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/server"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"

	// The controllers register themselves when linked; cmd/controller/app/start.go links these.
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmechallenges"
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmeorders"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/ingresses"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/acme"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/vault"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/venafi"
)

func main() { start.Main("controller", command) }

func defaulted() *config.ControllerConfiguration {
	scheme, _, err := configscheme.NewSchemeAndCodecs()
	utilruntime.Must(err)
	versioned := &configv1alpha1.ControllerConfiguration{}
	scheme.Default(versioned)
	cfg := &config.ControllerConfiguration{}
	utilruntime.Must(scheme.Convert(versioned, cfg, nil))
	return cfg
}

func command() *cobra.Command {
	cfg := defaulted()
	var configFile string
	cmd := &cobra.Command{
		Use:           "controller",
		SilenceErrors: true,
		SilenceUsage:  true,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			file := controllerconfigfile.New()
			if err := start.LoadConfigFile(cmd, configFile, file, func() { file.Config.DeepCopyInto(cfg) }, func() error {
				return utilfeature.DefaultMutableFeatureGate.SetFromMap(cfg.FeatureGates)
			}); err != nil {
				return err
			}
			if errs := validation.ValidateControllerConfiguration(cfg, nil); len(errs) > 0 {
				return fmt.Errorf("error validating flags: %w", errs.ToAggregate())
			}
			return logf.ValidateAndApply(&cfg.Logging)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), cfg) },
	}
	fs := cmd.Flags()
	fs.StringVar(&configFile, "config", "", "path to a ControllerConfiguration file")
	fs.StringVar(&cfg.KubeConfig, "kubeconfig", cfg.KubeConfig, "path to a kubeconfig")
	fs.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "limit cert-manager to one namespace")
	fs.StringVar(&cfg.ClusterResourceNamespace, "cluster-resource-namespace", cfg.ClusterResourceNamespace, "namespace of ClusterIssuers' Secrets")
	fs.BoolVar(&cfg.LeaderElectionConfig.Enabled, "leader-elect", cfg.LeaderElectionConfig.Enabled, "elect a leader")
	fs.StringVar(&cfg.LeaderElectionConfig.Namespace, "leader-election-namespace", cfg.LeaderElectionConfig.Namespace, "namespace of the leader-election Lease")
	fs.DurationVar(&cfg.LeaderElectionConfig.LeaseDuration, "leader-election-lease-duration", cfg.LeaderElectionConfig.LeaseDuration, "lease duration")
	fs.DurationVar(&cfg.LeaderElectionConfig.RenewDeadline, "leader-election-renew-deadline", cfg.LeaderElectionConfig.RenewDeadline, "renew deadline")
	fs.DurationVar(&cfg.LeaderElectionConfig.RetryPeriod, "leader-election-retry-period", cfg.LeaderElectionConfig.RetryPeriod, "retry period")
	fs.StringSliceVar(&cfg.Controllers, "controllers", cfg.Controllers, "controllers to enable: *, name, -name")
	fs.StringVar(&cfg.ACMEHTTP01Config.SolverImage, "acme-http01-solver-image", cfg.ACMEHTTP01Config.SolverImage, "ACME HTTP-01 solver image")
	fs.StringVar(&cfg.ACMEHTTP01Config.SolverRuntimeClassName, "acme-http01-solver-runtime-class-name", cfg.ACMEHTTP01Config.SolverRuntimeClassName, "ACME HTTP-01 solver runtime class")
	fs.StringToStringVar(&cfg.ACMEHTTP01Config.SolverExtraLabels, "acme-http01-solver-extra-labels", cfg.ACMEHTTP01Config.SolverExtraLabels, "ACME HTTP-01 solver extra labels")
	fs.StringVar(&cfg.IngressShimConfig.DefaultIssuerName, "default-issuer-name", cfg.IngressShimConfig.DefaultIssuerName, "ingress-shim default issuer name")
	fs.StringVar(&cfg.IngressShimConfig.DefaultIssuerKind, "default-issuer-kind", cfg.IngressShimConfig.DefaultIssuerKind, "ingress-shim default issuer kind")
	fs.StringVar(&cfg.IngressShimConfig.DefaultIssuerGroup, "default-issuer-group", cfg.IngressShimConfig.DefaultIssuerGroup, "ingress-shim default issuer group")
	fs.StringSliceVar(&cfg.ACMEDNS01Config.RecursiveNameservers, "dns01-recursive-nameservers", cfg.ACMEDNS01Config.RecursiveNameservers, "DNS-01 recursive nameservers")
	fs.BoolVar(&cfg.ACMEDNS01Config.RecursiveNameserversOnly, "dns01-recursive-nameservers-only", cfg.ACMEDNS01Config.RecursiveNameserversOnly, "query only the recursive nameservers")
	fs.IntVar(&cfg.MaxConcurrentChallenges, "max-concurrent-challenges", cfg.MaxConcurrentChallenges, "challenges processed at once")
	fs.BoolVar(&cfg.EnableCertificateOwnerRef, "enable-certificate-owner-ref", cfg.EnableCertificateOwnerRef, "Certificates own their Secrets")
	fs.Var(cliflag.NewMapStringBool(&cfg.FeatureGates), "feature-gates", "feature gates: "+strings.Join(utilfeature.DefaultFeatureGate.KnownFeatures(), ", "))
	fs.StringVar(&cfg.MetricsListenAddress, "metrics-listen-address", cfg.MetricsListenAddress, "metrics address")
	fs.StringVar(&cfg.HealthzListenAddress, "internal-healthz-listen-address", cfg.HealthzListenAddress, "healthz (/livez) address")
	logf.AddFlags(&cfg.Logging, fs)
	return cmd
}

// enabledControllers reads the --controllers list as cert-manager does: "*" is the default set, "-name" removes one,
// the feature gates add the experimental CSR controllers and the Gateway API shim, a namespaced cert-manager drops the
// cluster-scoped ones.
func enabledControllers(o *config.ControllerConfiguration) sets.Set[string] {
	enabled := sets.New[string]()
	var disabled []string
	for _, name := range o.Controllers {
		switch {
		case name == "*":
			enabled.Insert(defaults.DefaultEnabledControllers...)
		case strings.HasPrefix(name, "-"):
			disabled = append(disabled, strings.TrimPrefix(name, "-"))
		default:
			enabled.Insert(name)
		}
	}
	if len(disabled) > 0 && enabled.Len() == 0 {
		enabled.Insert(defaults.DefaultEnabledControllers...)
	}
	if utilfeature.DefaultFeatureGate.Enabled(feature.ExperimentalCertificateSigningRequestControllers) {
		enabled.Insert(defaults.ExperimentalCertificateSigningRequestControllers...)
	}
	if utilfeature.DefaultFeatureGate.Enabled(feature.ExperimentalGatewayAPISupport) && o.GatewayAPIConfig.Enabled {
		enabled.Insert(shimgateways.ControllerName)
	}
	if o.Namespace != "" {
		enabled.Delete(defaults.ClusterScopedControllers...)
	}
	return enabled.Delete(disabled...)
}

func quantity(s string) (resource.Quantity, error) { return resource.ParseQuantity(s) }

func contextFactory(ctx context.Context, opts *config.ControllerConfiguration) (*controller.ContextFactory, error) {
	nameservers := opts.ACMEDNS01Config.RecursiveNameservers
	if len(nameservers) == 0 {
		nameservers = dnsutil.RecursiveNameservers
	}
	var q [4]resource.Quantity
	for i, s := range []string{
		opts.ACMEHTTP01Config.SolverResourceRequestCPU, opts.ACMEHTTP01Config.SolverResourceRequestMemory,
		opts.ACMEHTTP01Config.SolverResourceLimitsCPU, opts.ACMEHTTP01Config.SolverResourceLimitsMemory,
	} {
		v, err := quantity(s)
		if err != nil {
			return nil, err
		}
		q[i] = v
	}
	return controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         opts.KubeConfig,
		KubernetesAPIQPS:   opts.KubernetesAPIQPS,
		KubernetesAPIBurst: opts.KubernetesAPIBurst,
		APIServerHost:      opts.APIServerHost,
		Namespace:          opts.Namespace,
		ACMEOptions: controller.ACMEOptions{
			HTTP01SolverResourceRequestCPU:    q[0],
			HTTP01SolverResourceRequestMemory: q[1],
			HTTP01SolverResourceLimitsCPU:     q[2],
			HTTP01SolverResourceLimitsMemory:  q[3],
			ACMEHTTP01SolverRunAsNonRoot:      opts.ACMEHTTP01Config.SolverRunAsNonRoot,
			HTTP01SolverImage:                 opts.ACMEHTTP01Config.SolverImage,
			HTTP01SolverRuntimeClassName:      opts.ACMEHTTP01Config.SolverRuntimeClassName,
			HTTP01SolverNameservers:           opts.ACMEHTTP01Config.SolverNameservers,
			HTTP01SolverExtraLabels:           opts.ACMEHTTP01Config.SolverExtraLabels,
			DNS01Nameservers:                  nameservers,
			DNS01CheckRetryPeriod:             opts.ACMEDNS01Config.CheckRetryPeriod,
			DNS01CheckAuthoritative:           !opts.ACMEDNS01Config.RecursiveNameserversOnly,
		},
		SchedulerOptions: controller.SchedulerOptions{MaxConcurrentChallenges: opts.MaxConcurrentChallenges},
		IssuerOptions: controller.IssuerOptions{
			ClusterIssuerAmbientCredentials: opts.ClusterIssuerAmbientCredentials,
			IssuerAmbientCredentials:        opts.IssuerAmbientCredentials,
			ClusterResourceNamespace:        opts.ClusterResourceNamespace,
		},
		IngressShimOptions: controller.IngressShimOptions{
			DefaultIssuerName:                 opts.IngressShimConfig.DefaultIssuerName,
			DefaultIssuerKind:                 opts.IngressShimConfig.DefaultIssuerKind,
			DefaultIssuerGroup:                opts.IngressShimConfig.DefaultIssuerGroup,
			DefaultAutoCertificateAnnotations: opts.IngressShimConfig.DefaultAutoCertificateAnnotations,
			ExtraCertificateAnnotations:       opts.IngressShimConfig.ExtraCertificateAnnotations,
			GatewayAPIExtraProtocols:          sets.New(opts.GatewayAPIConfig.ExtraProtocols...),
		},
		CertificateOptions: controller.CertificateOptions{
			EnableOwnerRef:                           opts.EnableCertificateOwnerRef,
			CopiedAnnotationPrefixes:                 opts.CopiedAnnotationPrefixes,
			CertificateRequestMinimumBackoffDuration: opts.CertificateRequestMinimumBackoffDuration,
			CertificateRequestMaximumBackoffDuration: opts.CertificateRequestMaximumBackoffDuration,
		},
		ConfigOptions: controller.ConfigOptions{
			EnableGatewayAPI:            opts.GatewayAPIConfig.Enabled,
			EnableGatewayAPIListenerSet: opts.GatewayAPIConfig.EnableListenerSet,
		},
	})
}

func run(rootCtx context.Context, opts *config.ControllerConfiguration) error {
	rootCtx, cancel := context.WithCancel(rootCtx)
	defer cancel()
	log := logf.FromContext(rootCtx)
	g, rootCtx := errgroup.WithContext(rootCtx)

	pem.SetGlobalSizeLimits(pem.SizeLimits{
		MaxCertificateSize: opts.PEMSizeLimitsConfig.MaxCertificateSize,
		MaxPrivateKeySize:  opts.PEMSizeLimitsConfig.MaxPrivateKeySize,
		MaxChainLength:     opts.PEMSizeLimitsConfig.MaxChainLength,
		MaxBundleSize:      opts.PEMSizeLimitsConfig.MaxBundleSize,
	})

	factory, err := contextFactory(rootCtx, opts)
	if err != nil {
		return err
	}
	ctx, err := factory.Build()
	if err != nil {
		return err
	}
	enabled := enabledControllers(opts)
	log.Info(fmt.Sprintf("enabled controllers: %s", sets.List(enabled)))

	metricsLn, err := server.Listen(rootCtx, "tcp", opts.MetricsListenAddress)
	if err != nil {
		return fmt.Errorf("failed to listen on prometheus address %s: %v", opts.MetricsListenAddress, err)
	}
	metricsServer := ctx.Metrics.NewServer(metricsLn)
	g.Go(func() error {
		<-rootCtx.Done()
		shutdown, done := context.WithTimeout(context.Background(), 5*time.Second) // cert-manager's grace period
		defer done()
		return metricsServer.Shutdown(shutdown) //nolint:contextcheck // the root context is already done
	})
	g.Go(func() error {
		if err := metricsServer.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})

	healthzLn, err := net.Listen("tcp", opts.HealthzListenAddress)
	if err != nil {
		return fmt.Errorf("failed to listen on healthz address %s: %v", opts.HealthzListenAddress, err)
	}
	healthzServer := healthz.NewServer(opts.LeaderElectionConfig.HealthzTimeout)
	g.Go(func() error { return healthzServer.Start(rootCtx, healthzLn) })

	elected := make(chan struct{})
	if opts.LeaderElectionConfig.Enabled {
		g.Go(func() error { return leaderElection(rootCtx, factory, opts, elected, healthzServer) })
	} else {
		close(elected)
	}
	select {
	case <-rootCtx.Done():
		return g.Wait()
	case <-elected:
	}

	for name, constructor := range controller.Known() {
		if !enabled.Has(name) {
			continue
		}
		iface, err := constructor(factory)
		if err != nil {
			cancel()
			return errors.Join(fmt.Errorf("error starting controller %s: %w", name, err), g.Wait())
		}
		g.Go(func() error {
			log.V(logf.InfoLevel).Info("starting controller", "controller", name)
			return iface.Run(opts.NumberOfConcurrentWorkers, rootCtx)
		})
	}
	ctx.SharedInformerFactory.Start(rootCtx.Done())
	ctx.KubeSharedInformerFactory.Start(rootCtx.Done())
	ctx.HTTP01ResourceMetadataInformersFactory.Start(rootCtx.Done())
	if utilfeature.DefaultFeatureGate.Enabled(feature.ExperimentalGatewayAPISupport) && opts.GatewayAPIConfig.Enabled {
		ctx.GWShared.Start(rootCtx.Done())
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("error starting controller: %v", err)
	}
	return nil
}

func leaderElection(ctx context.Context, factory *controller.ContextFactory, opts *config.ControllerConfiguration, elected chan struct{}, hz *healthz.Server) error {
	lctx, err := factory.Build("leader-election")
	if err != nil {
		return err
	}
	id, err := os.Hostname()
	if err != nil {
		return err
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, opts.LeaderElectionConfig.Namespace,
		"cert-manager-controller", lctx.Client.CoreV1(), lctx.Client.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: id + "-external-cert-manager-controller", EventRecorder: lctx.Recorder})
	if err != nil {
		return err
	}
	lost := make(chan error, 1)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   opts.LeaderElectionConfig.LeaseDuration,
		RenewDeadline:   opts.LeaderElectionConfig.RenewDeadline,
		RetryPeriod:     opts.LeaderElectionConfig.RetryPeriod,
		ReleaseOnCancel: true,
		WatchDog:        hz.LeaderHealthzAdaptor,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { close(elected) },
			OnStoppedLeading: func() {
				if ctx.Err() == nil {
					lost <- errors.New("leader election lost")
				}
			},
		},
	})
	if err != nil {
		return err
	}
	le.Run(ctx)
	select {
	case err := <-lost:
		return err
	default:
		return nil
	}
}

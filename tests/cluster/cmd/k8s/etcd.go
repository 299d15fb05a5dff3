package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// runEtcd starts a single-member embedded etcd server. Only the flags the
// local control plane needs are supported; they are named like etcd's own.
func runEtcd() int {
	fs := flag.NewFlagSet("etcd", flag.ContinueOnError)
	name := fs.String("name", "default", "member name")
	dataDir := fs.String("data-dir", "default.etcd", "path to the data directory")
	listenClient := fs.String("listen-client-urls", "http://127.0.0.1:2379", "comma-separated URLs to listen on for client traffic")
	advertiseClient := fs.String("advertise-client-urls", "", "client URLs to advertise (default: listen-client-urls)")
	listenPeer := fs.String("listen-peer-urls", "http://127.0.0.1:2380", "comma-separated URLs to listen on for peer traffic")
	listenMetrics := fs.String("listen-metrics-urls", "", "comma-separated URLs to serve /metrics and /health on")
	unsafeNoFsync := fs.Bool("unsafe-no-fsync", false, "disable fsync (unsafe; fine for tests)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn, error, panic or fatal")
	quota := fs.Int64("quota-backend-bytes", 0, "backend size quota (0: etcd default)")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Println("etcd (embedded) " + etcdVersion())
		return 0
	}
	if *advertiseClient == "" {
		*advertiseClient = *listenClient
	}

	cfg := embed.NewConfig()
	cfg.Name = *name
	cfg.Dir = *dataDir
	cfg.UnsafeNoFsync = *unsafeNoFsync
	cfg.LogLevel = *logLevel
	cfg.Logger = "zap"
	cfg.LogOutputs = []string{"stderr"}
	if *quota > 0 {
		cfg.QuotaBackendBytes = *quota
	}
	var err error
	if cfg.ListenClientUrls, err = parseURLs(*listenClient); err != nil {
		return fail(err)
	}
	if cfg.AdvertiseClientUrls, err = parseURLs(*advertiseClient); err != nil {
		return fail(err)
	}
	if cfg.ListenPeerUrls, err = parseURLs(*listenPeer); err != nil {
		return fail(err)
	}
	cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
	if *listenMetrics != "" {
		if cfg.ListenMetricsUrls, err = parseURLs(*listenMetrics); err != nil {
			return fail(err)
		}
	}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fail(err)
	}
	select {
	case <-e.Server.ReadyNotify():
		fmt.Fprintf(os.Stderr, "etcd: ready, serving clients on %s\n", *advertiseClient)
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		return fail(fmt.Errorf("server took too long to start"))
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "etcd: received %v, shutting down\n", s)
		e.Close()
		return 0
	case err := <-e.Err():
		e.Close()
		return fail(err)
	}
}

func parseURLs(s string) ([]url.URL, error) {
	var out []url.URL
	for _, part := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("invalid URL %q: %w", part, err)
		}
		out = append(out, *u)
	}
	return out, nil
}

func fail(err error) int {
	fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
	return 1
}

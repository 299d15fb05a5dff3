package main

import "go.etcd.io/etcd/api/v3/version"

func etcdVersion() string { return version.Version }

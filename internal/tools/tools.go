//go:build tools

// Package tools pins the modules bttls builds on, so that `go mod tidy` keeps
// them while the packages that import them are being written.
package tools

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/anacrolix/torrent/bencode"
	_ "github.com/anacrolix/torrent/metainfo"
	_ "github.com/anacrolix/torrent/mse"
	_ "github.com/pkg/profile"
	_ "github.com/refraction-networking/utls"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/pflag"
	_ "golang.org/x/exp/constraints"
	_ "gonum.org/v1/plot"
)

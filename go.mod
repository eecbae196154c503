module gnc

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/pion/dtls/v3 v3.1.15
	github.com/spf13/pflag v1.0.10
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0
)

require github.com/yuin/gopher-lua v1.1.2

require (
	github.com/pion/logging v0.2.4 // indirect
	github.com/pion/transport/v5 v5.0.0 // indirect
	golang.org/x/crypto v0.48.0 // indirect
)

require (
	github.com/rogpeppe/go-internal v1.16.0
	golang.org/x/tools v0.26.0 // indirect
)

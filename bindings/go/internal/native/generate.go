package native

// The core copy and the SWIG wrapper are generated from the checkout
// (docs/go.md, "Regenerating"); run `go generate ./...` in bindings/go.
//go:generate go run ../gen/cmd/smgen -dir .

module securememory/bench/memguard

go 1.24

require github.com/awnumar/memguard v0.23.0

require (
	github.com/awnumar/memcall v0.4.0 // indirect
	golang.org/x/crypto v0.41.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
)

// The Go binding, measured beside memguard (binding_test.go), from this
// checkout.
require github.com/securememory/securememory-go v0.1.0

replace github.com/securememory/securememory-go => ../../bindings/go

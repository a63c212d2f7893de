module securememory.example/go-examples

go 1.24

require github.com/securememory/securememory-go v0.1.0

// The examples build against this checkout; a program of yours needs only
// the require line above (see docs/go.md, "Install").
replace github.com/securememory/securememory-go => ../../bindings/go

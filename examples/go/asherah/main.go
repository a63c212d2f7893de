// asherah shows the adapter that makes this package's SecretFactory an
// argument of Asherah's appencryption.WithSecretFactory.
//
// Go matches interface method results exactly: Asherah's SecretFactory
// interface returns its own securememory.Secret type, ours returns ours, so
// our factory does not satisfy Asherah's interface by itself even though
// the method sets are identical. The three-line type below bridges them. In
// a program that imports Asherah, replace the two local interfaces with
// Asherah's ("github.com/godaddy/asherah/go/securememory"):
//
//	type AsherahFactory struct{ securememory.SecretFactory }
//
//	func (f AsherahFactory) New(b []byte) (asherahsm.Secret, error) { return f.SecretFactory.New(b) }
//	func (f AsherahFactory) CreateRandom(n int) (asherahsm.Secret, error) { return f.SecretFactory.CreateRandom(n) }
//
//	... appencryption.NewSessionFactory(config, metastore, kms, crypto,
//	        appencryption.WithSecretFactory(AsherahFactory{}))
//
//	cd examples/go && go run ./asherah
package main

import (
	"fmt"
	"io"
	"log"

	"github.com/securememory/securememory-go"
)

// asherahSecret and asherahSecretFactory stand in for Asherah's interfaces
// (github.com/godaddy/asherah/go/securememory), which this example cannot
// import here; they are copied method for method.
type asherahSecret interface {
	WithBytes(action func([]byte) error) error
	WithBytesFunc(action func([]byte) ([]byte, error)) ([]byte, error)
	IsClosed() bool
	Close() error
	NewReader() io.Reader
}

type asherahSecretFactory interface {
	New(b []byte) (asherahSecret, error)
	CreateRandom(size int) (asherahSecret, error)
}

// AsherahFactory is the adapter.
type AsherahFactory struct{ securememory.SecretFactory }

// New returns our Secret as Asherah's Secret type.
func (f AsherahFactory) New(b []byte) (asherahSecret, error) { return f.SecretFactory.New(b) }

// CreateRandom returns our Secret as Asherah's Secret type.
func (f AsherahFactory) CreateRandom(n int) (asherahSecret, error) {
	return f.SecretFactory.CreateRandom(n)
}

var _ asherahSecretFactory = AsherahFactory{} // it compiles: the adapter fits

func main() {
	var factory asherahSecretFactory = AsherahFactory{securememory.SecretFactory{Kind: securememory.KindEnclave}}
	s, err := factory.CreateRandom(32)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	_ = s.WithBytes(func(b []byte) error {
		fmt.Println("a 32-byte data key through Asherah's interface:", len(b) == 32)
		return nil
	})
}

// hello is the smallest tour of the Go binding: secrets.
//
//	cd examples/go && go run ./hello
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/securememory/securememory-go"
)

func main() {
	// A secret made from a byte slice: copied into guarded memory, and the
	// slice zeroed.
	password := []byte("correct horse battery staple")
	secret, err := securememory.SecretFactory{}.New(password)
	if err != nil {
		log.Fatal(err)
	}
	defer secret.Close()
	fmt.Println("source wiped:", allZero(password))

	// Zero-copy, read-only access: b is the guarded memory itself, valid
	// only inside the function. Do the work there; return results only.
	var tag []byte
	err = secret.WithBytes(func(b []byte) error {
		mac := hmac.New(sha256.New, b)
		mac.Write([]byte("message"))
		tag = mac.Sum(nil)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("hmac over a message:", hex.EncodeToString(tag)[:16]+"...")

	// An ENCLAVE secret is encrypted at rest, decrypted only while accessed.
	key, err := securememory.SecretFactory{Kind: securememory.KindEnclave}.CreateRandom(32)
	if err != nil {
		log.Fatal(err)
	}
	size := key.(*securememory.GuardedSecret).Size()
	fmt.Println("random key:", size, "bytes, kind", key.(*securememory.GuardedSecret).Kind())

	// A reader copies the bytes out: the copy is yours to wipe.
	buf := make([]byte, size)
	n, err := io.ReadFull(key.NewReader(), buf)
	fmt.Println("read", n, "bytes:", err == nil)
	securememory.Wipe(buf)

	// After Close every operation reports Asherah's error.
	key.Close()
	err = key.WithBytes(func([]byte) error { return nil })
	fmt.Printf("after close: %q, errors.Is(err, ErrClosed) = %v\n", err, errors.Is(err, securememory.ErrClosed))
	fmt.Println("library", securememory.Version(), "backend", securememory.ActiveBackend())
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// buffers shows memguard's shapes: guarded buffers, enclaves and streams.
//
//	cd examples/go && go run ./buffers
package main

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/securememory/securememory-go"
)

func main() {
	// A guarded buffer: read-write when made, then frozen read-only.
	buf, err := securememory.NewBufferFromBytes([]byte("a key to keep")) // the slice is wiped
	if err != nil {
		log.Fatal(err)
	}
	if err := buf.Freeze(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("buffer: %d bytes, %v, alive %v\n", buf.Size(), buf.Protection(), buf.IsAlive())

	// Seal it into an enclave (encrypted; the buffer is destroyed), then
	// open it into a fresh guarded buffer when needed.
	enclave, err := buf.Seal()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sealed; buffer alive:", buf.IsAlive())
	opened, err := enclave.Open()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("opened %d bytes: %q\n", opened.Size(), opened.Bytes())
	opened.Destroy()

	// Reopen again and again into one writable buffer: no new mapping.
	into, err := securememory.NewBuffer(enclave.Size())
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := enclave.OpenInto(into); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("open_into x3:", bytes.Equal(into.Bytes(), []byte("a key to keep")))
	into.Destroy()
	enclave.Destroy()

	// A stream holds large data as sealed chunks, decrypted one at a time.
	stream, err := securememory.NewStream(0)
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	if _, err := stream.Write(data); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("stream: %d bytes in %d-byte chunks\n", stream.Size(), stream.ChunkSize())
	var out bytes.Buffer
	if _, err := io.Copy(&out, stream); err != nil {
		log.Fatal(err)
	}
	fmt.Println("round trip:", bytes.Equal(out.Bytes(), data))
	fmt.Println("locked now:", securememory.GetStats().BytesLocked, "bytes")
}

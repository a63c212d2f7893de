package securememory_test

// A runner of the shared conformance vectors (tests/vectors/README.md)
// for the Go binding. Each scenario is validated as a whole first (unknown
// keys, operations, handles, argument types: any error fails it), then
// run step by step. Operations map to the binding's idiomatic calls; a
// returned *securememory.Error gives the status through its Code, io.EOF
// gives SM_ERR_EOF, anything else (a panic, another error) fails the step.
// Messages follow the C runner's wording, so both name a defect alike.
//
// This runner has no capability: "core" scenarios are not applicable.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	sm "github.com/securememory/securememory-go"
)

// vectorError is a malformed vector or a step whose outcome differs.
type vectorError struct{ msg string }

func (e *vectorError) Error() string { return e.msg }

func vfail(format string, args ...any) error { return &vectorError{fmt.Sprintf(format, args...)} }

var statusNames = []string{"SM_OK", "SM_ERR_INVALID", "SM_ERR_NOMEM", "SM_ERR_MLOCK",
	"SM_ERR_PROTECT", "SM_ERR_CLOSED", "SM_ERR_AUTH", "SM_ERR_CANARY", "SM_ERR_EOF",
	"SM_ERR_CALLBACK", "SM_ERR_UNSUPPORTED"}

var capabilities = map[string]bool{"core": true} // defined by the format
var ourCapabilities = map[string]bool{}          // none: no internal functions

const maxData = 64 << 20

// ---- JSON: strict parsing (duplicate keys, integers only) -----------------

type jsonObject = map[string]any

func parseJSON(data []byte) (v any, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	defer func() {
		if err != nil {
			err = vfail("JSON error at byte %d: %v", dec.InputOffset(), err)
		}
	}()
	v, err = parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := jsonObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if _, dup := obj[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				if obj[k], err = parseValue(dec); err != nil {
					return nil, err
				}
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
	case json.Number:
		if strings.ContainsAny(string(t), ".eE") {
			return nil, fmt.Errorf("only integers are allowed, not %s", t)
		}
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is outside the signed 64-bit range", t)
		}
		return n, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// ---- the operation table ----------------------------------------------------

// argument types: size, data, kind, bool, int, buffer; results: none,
// bytes, int, bool, name.
type argSpec struct {
	typ      string
	required bool
}

type opSpec struct {
	target, creates, result string
	args                    map[string]argSpec
	wipes, coreOnly         bool
	run                     func(c *vctx, target any, a map[string]any) (any, error)
}

var ops map[string]*opSpec

type statusOnly string // a status derived from the binding's idiom

func (s statusOnly) Error() string { return string(s) }

var errCallbackFailed = errors.New("the callback reported failure")

func kindOf(name any) sm.Kind {
	if name == "ENCLAVE" {
		return sm.KindEnclave
	}
	return sm.Protected
}

func init() {
	req := func(typ string) argSpec { return argSpec{typ, true} }
	opt := func(typ string) argSpec { return argSpec{typ, false} }
	ops = map[string]*opSpec{
		"purge": {result: "none", run: func(c *vctx, t any, a map[string]any) (any, error) {
			sm.Purge()
			return nil, nil
		}},
		"status.name": {result: "name", args: map[string]argSpec{"code": req("int")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				code := a["code"].(int64)
				if code < -1<<31 || code > 1<<31-1 {
					return "SM_ERR_UNKNOWN", nil
				}
				return sm.StatusName(int(code)), nil
			}},
		// Secrets
		"secret.new": {creates: "secret", wipes: true,
			args: map[string]argSpec{"kind": req("kind"), "data": req("data")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				return sm.NewSecret(kindOf(a["kind"]), a["data"].([]byte))
			}},
		"secret.new_random": {creates: "secret",
			args: map[string]argSpec{"kind": req("kind"), "len": req("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				return sm.NewSecretRandom(kindOf(a["kind"]), a["len"].(int))
			}},
		"secret.with_bytes": {target: "secret", result: "bytes", args: map[string]argSpec{"fail": opt("bool")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				var seen []byte
				err := t.(*sm.GuardedSecret).WithBytes(func(b []byte) error {
					seen = bytes.Clone(b)
					if fail, _ := a["fail"].(bool); fail {
						return errCallbackFailed
					}
					return nil
				})
				if errors.Is(err, errCallbackFailed) {
					return nil, statusOnly("SM_ERR_CALLBACK")
				}
				return seen, err
			}},
		"secret.acquire": {target: "secret", result: "bytes",
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				s := t.(*sm.GuardedSecret)
				view, err := s.Acquire()
				if err != nil {
					return nil, err
				}
				c.open = append(c.open, s)
				return bytes.Clone(view), nil
			}},
		"secret.release": {target: "secret",
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				s := t.(*sm.GuardedSecret)
				for i := len(c.open) - 1; i >= 0; i-- {
					if c.open[i] == s {
						c.open = append(c.open[:i], c.open[i+1:]...)
						break
					}
				}
				// With no access open this is the core's release without an
				// acquire: SM_ERR_INVALID.
				return nil, s.Release()
			}},
		"secret.read": {target: "secret", result: "bytes",
			args: map[string]argSpec{"offset": req("size"), "cap": req("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				buf := make([]byte, a["cap"].(int))
				n, err := t.(*sm.GuardedSecret).CopyTo(buf, a["offset"].(int))
				return buf[:n], err
			}},
		"secret.size": {target: "secret", result: "int", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.GuardedSecret).Size(), nil
		}},
		"secret.kind": {target: "secret", result: "name", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.GuardedSecret).Kind().String(), nil
		}},
		"secret.is_closed": {target: "secret", result: "bool", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.GuardedSecret).IsClosed(), nil
		}},
		"secret.close": {target: "secret", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return nil, t.(*sm.GuardedSecret).Close()
		}},
		// Buffers
		"buffer.new": {creates: "buffer", args: map[string]argSpec{"len": req("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) { return sm.NewBuffer(a["len"].(int)) }},
		"buffer.new_random": {creates: "buffer", args: map[string]argSpec{"len": req("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) { return sm.NewBufferRandom(a["len"].(int)) }},
		"buffer.from_bytes": {creates: "buffer", wipes: true, args: map[string]argSpec{"data": req("data")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				return sm.NewBufferFromBytes(a["data"].([]byte))
			}},
		"buffer.read": {target: "buffer", result: "bytes",
			args: map[string]argSpec{"offset": opt("size"), "len": opt("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				b := t.(*sm.Buffer)
				off, n, err := touchRange(b, a, -1, sm.ProtRead)
				if err != nil {
					return nil, err
				}
				data := b.Bytes()
				if data == nil {
					return nil, sm.ErrClosed // sm_buffer_data gave NULL
				}
				return bytes.Clone(data[off : off+n]), nil
			}},
		"buffer.write": {target: "buffer", args: map[string]argSpec{"offset": opt("size"), "data": req("data")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				b := t.(*sm.Buffer)
				src := a["data"].([]byte)
				off, n, err := touchRange(b, a, len(src), sm.ProtReadWrite)
				if err != nil {
					return nil, err
				}
				data := b.Bytes()
				if data == nil {
					return nil, sm.ErrClosed
				}
				copy(data[off:off+n], src)
				return nil, nil
			}},
		"buffer.size": {target: "buffer", result: "int", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Buffer).Size(), nil
		}},
		"buffer.is_alive": {target: "buffer", result: "bool", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Buffer).IsAlive(), nil
		}},
		"buffer.protection": {target: "buffer", result: "name", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Buffer).Protection().String(), nil
		}},
		"buffer.freeze": {target: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return nil, t.(*sm.Buffer).Freeze()
		}},
		"buffer.melt": {target: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return nil, t.(*sm.Buffer).Melt()
		}},
		"buffer.noaccess": {target: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return nil, t.(*sm.Buffer).NoAccess()
		}},
		"buffer.check": {target: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return nil, t.(*sm.Buffer).Check()
		}},
		"buffer.destroy": {target: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return nil, t.(*sm.Buffer).Destroy()
		}},
		"buffer.seal": {target: "buffer", creates: "enclave", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Buffer).Seal()
		}},
		// Enclaves
		"enclave.new": {creates: "enclave", wipes: true, args: map[string]argSpec{"data": req("data")},
			run: func(c *vctx, t any, a map[string]any) (any, error) { return sm.NewEnclave(a["data"].([]byte)) }},
		"enclave.new_random": {creates: "enclave", args: map[string]argSpec{"len": req("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) { return sm.NewEnclaveRandom(a["len"].(int)) }},
		"enclave.open": {target: "enclave", creates: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Enclave).Open()
		}},
		"enclave.open_into": {target: "enclave", args: map[string]argSpec{"into": req("buffer")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				return nil, t.(*sm.Enclave).OpenInto(a["into"].(*sm.Buffer))
			}},
		"enclave.size": {target: "enclave", result: "int", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Enclave).Size(), nil
		}},
		// Streams
		"stream.new": {creates: "stream", args: map[string]argSpec{"chunk_size": req("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) { return sm.NewStream(a["chunk_size"].(int)) }},
		"stream.chunk_size": {target: "stream", result: "int", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Stream).ChunkSize(), nil
		}},
		"stream.write": {target: "stream", args: map[string]argSpec{"data": req("data")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				_, err := t.(*sm.Stream).Write(a["data"].([]byte))
				return nil, err
			}},
		"stream.read": {target: "stream", result: "bytes", args: map[string]argSpec{"cap": req("size")},
			run: func(c *vctx, t any, a map[string]any) (any, error) {
				buf := make([]byte, a["cap"].(int))
				n, err := t.(*sm.Stream).Read(buf)
				return buf[:n], err
			}},
		"stream.next": {target: "stream", creates: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Stream).Next()
		}},
		"stream.flush": {target: "stream", creates: "buffer", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Stream).Flush()
		}},
		"stream.size": {target: "stream", result: "int", run: func(c *vctx, t any, a map[string]any) (any, error) {
			return t.(*sm.Stream).Size(), nil
		}},
	}
	for _, name := range []string{"aead.encrypt", "aead.decrypt"} {
		args := map[string]argSpec{"key": req("data"), "nonce": req("data"), "ad": req("data")}
		if name == "aead.encrypt" {
			args["plaintext"] = req("data")
		} else {
			args["ciphertext"] = req("data")
		}
		ops[name] = &opSpec{result: "bytes", args: args, coreOnly: true}
	}
	ops["enclave.tamper"] = &opSpec{target: "enclave", args: map[string]argSpec{"index": req("size")}, coreOnly: true}
	for _, o := range ops {
		if o.result == "" {
			o.result = "none"
		}
	}
}

// touchRange checks that the vector stays inside a live buffer and within
// its protection (anything else would fault by design).
func touchRange(b *sm.Buffer, a map[string]any, length int, need sm.Prot) (int, int, error) {
	size := b.Size()
	off, _ := a["offset"].(int)
	if l, ok := a["len"].(int); ok {
		length = l
	} else if length < 0 {
		length = 0
		if off <= size {
			length = size - off
		}
	}
	if b.IsAlive() {
		if off > size || length > size-off {
			return 0, 0, vfail("vector touches [%d, +%d) of a buffer of %d bytes", off, length, size)
		}
		if b.Protection() < need {
			return 0, 0, vfail("vector touches a buffer whose protection is %s", b.Protection())
		}
	}
	return off, length, nil
}

// ---- validation ---------------------------------------------------------------

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case string:
		return "string"
	case []any:
		return "array"
	case jsonObject:
		return "object"
	}
	return "?"
}

type missingT struct{}

var missing = missingT{}

func checkType(v any, want, what string) error {
	if v == missing {
		return vfail("%s is missing", what)
	}
	if got := jsonTypeName(v); got != want {
		return vfail("%s must be a JSON %s, not %s", what, want, got)
	}
	return nil
}

func get(obj jsonObject, key string) any {
	if v, ok := obj[key]; ok {
		return v
	}
	return missing
}

// keysOf checks obj is an object whose keys are all allowed (the first
// unknown key in sorted order is reported).
func keysOf(obj any, allowed []string, what string) error {
	if err := checkType(obj, "object", what); err != nil {
		return err
	}
	var unknown []string
	for k := range obj.(jsonObject) {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return vfail("unknown key %q in %s", unknown[0], what)
	}
	return nil
}

func checkSize(v any, what string) error {
	if n, ok := v.(int64); ok {
		if n < 0 {
			return vfail("%s is negative", what)
		}
		return nil
	}
	obj, ok := v.(jsonObject)
	if !ok {
		return vfail(`%s must be an integer or {"pages", "plus"}`, what)
	}
	if err := keysOf(obj, []string{"pages", "plus"}, what); err != nil {
		return err
	}
	for _, x := range obj {
		if err := checkType(x, "integer", what); err != nil {
			return err
		}
	}
	return nil
}

func checkHex(v any, nonempty bool, what string) error {
	if err := checkType(v, "string", what); err != nil {
		return err
	}
	s := v.(string)
	if len(s)%2 != 0 || (nonempty && s == "") {
		return vfail("%s: hex must have an even, nonzero length", what)
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return vfail("%s: '%c' is not a hex digit", what, c)
		}
	}
	return nil
}

func checkData(v any, saved map[string]bool, what string) error {
	if err := checkType(v, "object", what); err != nil {
		return err
	}
	d := v.(jsonObject)
	switch {
	case hasKey(d, "hex"):
		if err := keysOf(d, []string{"hex"}, what); err != nil {
			return err
		}
		return checkHex(d["hex"], false, what)
	case hasKey(d, "fill"):
		if err := keysOf(d, []string{"fill", "len"}, what); err != nil {
			return err
		}
		if err := checkHex(d["fill"], true, what); err != nil {
			return err
		}
		return checkSize(get(d, "len"), what)
	case hasKey(d, "counter"):
		if err := keysOf(d, []string{"counter", "len"}, what); err != nil {
			return err
		}
		if err := checkSize(d["counter"], what); err != nil {
			return err
		}
		return checkSize(get(d, "len"), what)
	case hasKey(d, "ref"):
		if err := keysOf(d, []string{"ref", "offset", "len"}, what); err != nil {
			return err
		}
		if err := checkType(d["ref"], "string", what); err != nil {
			return err
		}
		if !saved[d["ref"].(string)] {
			return vfail("%s: nothing was saved as %q before", what, d["ref"])
		}
		for _, k := range []string{"offset", "len"} {
			if hasKey(d, k) {
				if err := checkSize(d[k], what); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return vfail(`%s needs one of "hex", "fill", "counter", "ref"`, what)
}

func hasKey(obj jsonObject, k string) bool { _, ok := obj[k]; return ok }

func validateScenario(sc any) error {
	if err := keysOf(sc, []string{"name", "description", "requires", "steps"}, "the scenario"); err != nil {
		return err
	}
	s := sc.(jsonObject)
	if err := checkType(get(s, "name"), "string", `"name"`); err != nil {
		return err
	}
	if s["name"] == "" {
		return vfail(`"name" is empty`)
	}
	if hasKey(s, "description") {
		if err := checkType(s["description"], "string", `"description"`); err != nil {
			return err
		}
	}
	core := false
	if hasKey(s, "requires") {
		if err := checkType(s["requires"], "array", `"requires"`); err != nil {
			return err
		}
		for _, c := range s["requires"].([]any) {
			if err := checkType(c, "string", "a capability"); err != nil {
				return err
			}
			if !capabilities[c.(string)] {
				return vfail("unknown capability %q", c)
			}
			core = core || c == "core"
		}
	}
	if err := checkType(get(s, "steps"), "array", `"steps"`); err != nil {
		return err
	}
	steps := s["steps"].([]any)
	if len(steps) == 0 {
		return vfail(`"steps" is empty`)
	}
	handles := map[string]string{}
	saved := map[string]bool{}
	for i, step := range steps {
		if err := validateStep(step, handles, saved, core); err != nil {
			op := "?"
			if obj, ok := step.(jsonObject); ok {
				if name, ok := obj["op"].(string); ok {
					op = name
				}
			}
			return vfail("step %d (%s): %v", i, op, err)
		}
	}
	return nil
}

func expectsOK(step jsonObject) bool {
	exp, ok := step["expect"].(jsonObject)
	if !ok {
		return true
	}
	st, has := exp["status"]
	return !has || st == "SM_OK"
}

func validateStep(v any, handles map[string]string, saved map[string]bool, core bool) error {
	if err := keysOf(v, []string{"op", "on", "args", "as", "expect", "save"}, "the step"); err != nil {
		return err
	}
	step := v.(jsonObject)
	if err := checkType(get(step, "op"), "string", `"op"`); err != nil {
		return err
	}
	name := step["op"].(string)
	o, ok := ops[name]
	if !ok {
		return vfail("unknown operation %q", name)
	}
	if o.coreOnly && !core {
		return vfail(`%s is core only: the scenario must require "core"`, name)
	}
	if err := validateArgs(step, o, handles, saved); err != nil {
		return err
	}
	if err := validateExpect(step, o, saved); err != nil {
		return err
	}
	return validateNames(step, o, handles, saved)
}

func validateArgs(step jsonObject, o *opSpec, handles map[string]string, saved map[string]bool) error {
	var args jsonObject
	if hasKey(step, "args") {
		allowed := make([]string, 0, len(o.args))
		for k := range o.args {
			allowed = append(allowed, k)
		}
		if err := keysOf(step["args"], allowed, `"args"`); err != nil {
			return err
		}
		args = step["args"].(jsonObject)
	}
	names := make([]string, 0, len(o.args))
	for k := range o.args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, arg := range names {
		spec := o.args[arg]
		v, present := args[arg]
		if !present {
			if spec.required {
				return vfail("argument %q is missing", arg)
			}
			continue
		}
		what := fmt.Sprintf("argument %q", arg)
		var err error
		switch spec.typ {
		case "size":
			err = checkSize(v, what)
		case "data":
			err = checkData(v, saved, what)
		case "kind":
			if err = checkType(v, "string", what); err == nil && v != "PROTECTED" && v != "ENCLAVE" {
				err = vfail("unknown kind %q", v)
			}
		case "bool":
			err = checkType(v, "boolean", what)
		case "int":
			err = checkType(v, "integer", what)
		case "buffer":
			err = checkHandle(handles, v, "buffer", what)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func validateExpect(step jsonObject, o *opSpec, saved map[string]bool) error {
	if !hasKey(step, "expect") {
		return nil
	}
	if err := keysOf(step["expect"], []string{"status", "bytes", "len", "not_bytes", "not_all_zero",
		"value", "source_wiped"}, `"expect"`); err != nil {
		return err
	}
	exp := step["expect"].(jsonObject)
	if hasKey(exp, "status") {
		if err := checkType(exp["status"], "string", `"status"`); err != nil {
			return err
		}
		known := false
		for _, n := range statusNames {
			known = known || n == exp["status"]
		}
		if !known {
			return vfail("unknown status name %q", exp["status"])
		}
	}
	for _, k := range []string{"bytes", "len", "not_bytes", "not_all_zero"} {
		if hasKey(exp, k) && o.result != "bytes" {
			return vfail("%q does not apply: the operation gives no bytes", k)
		}
	}
	for _, k := range []string{"bytes", "not_bytes"} {
		if hasKey(exp, k) {
			if err := checkData(exp[k], saved, fmt.Sprintf("%q", k)); err != nil {
				return err
			}
		}
	}
	if hasKey(exp, "len") {
		if err := checkSize(exp["len"], `"len"`); err != nil {
			return err
		}
	}
	if hasKey(exp, "not_all_zero") {
		if err := checkTrue(exp["not_all_zero"], `"not_all_zero"`); err != nil {
			return err
		}
	}
	if hasKey(exp, "value") {
		var err error
		switch o.result {
		case "int":
			err = checkSize(exp["value"], `"value"`)
		case "bool":
			err = checkType(exp["value"], "boolean", `"value"`)
		case "name":
			err = checkType(exp["value"], "string", `"value"`)
		default:
			err = vfail(`"value" does not apply: the operation gives no value`)
		}
		if err != nil {
			return err
		}
	}
	if hasKey(exp, "source_wiped") {
		if !o.wipes {
			return vfail(`"source_wiped" does not apply: the operation wipes nothing`)
		}
		return checkTrue(exp["source_wiped"], `"source_wiped"`)
	}
	return nil
}

func validateNames(step jsonObject, o *opSpec, handles map[string]string, saved map[string]bool) error {
	if o.target != "" {
		if err := checkHandle(handles, get(step, "on"), o.target, `"on"`); err != nil {
			return err
		}
	} else if hasKey(step, "on") {
		return vfail(`"on" does not apply: the operation has no target`)
	}
	_, hasAs := step["as"]
	if hasAs && (o.creates == "" || !expectsOK(step)) {
		return vfail(`"as" applies only to a creating operation that expects SM_OK`)
	}
	if !hasAs && o.creates != "" && expectsOK(step) {
		return vfail(`"as" is missing: the operation creates a %s`, o.creates)
	}
	if hasAs {
		if err := checkType(step["as"], "string", `"as"`); err != nil {
			return err
		}
		name := step["as"].(string)
		if _, bound := handles[name]; bound {
			return vfail("name %q is already bound", name)
		}
		handles[name] = o.creates
	}
	if hasKey(step, "save") {
		if o.result != "bytes" {
			return vfail(`"save" does not apply: the operation gives no bytes`)
		}
		if err := checkType(step["save"], "string", `"save"`); err != nil {
			return err
		}
		name := step["save"].(string)
		if saved[name] {
			return vfail("name %q is already bound", name)
		}
		saved[name] = true
	}
	return nil
}

func checkTrue(v any, what string) error {
	if err := checkType(v, "boolean", what); err != nil {
		return err
	}
	if v != true {
		return vfail("%s may only be true", what)
	}
	return nil
}

func checkHandle(handles map[string]string, v any, want, what string) error {
	if err := checkType(v, "string", what); err != nil {
		return err
	}
	typ, ok := handles[v.(string)]
	if !ok {
		return vfail("%s: no handle %q was bound before", what, v)
	}
	if typ != want {
		return vfail("%s: %q is a %s, not a %s", what, v, typ, want)
	}
	return nil
}

// ---- evaluation ------------------------------------------------------------

func evalSize(v any) (int, error) {
	if n, ok := v.(int64); ok {
		return int(n), nil
	}
	obj := v.(jsonObject)
	pages, _ := obj["pages"].(int64)
	plus, _ := obj["plus"].(int64)
	total := pages*int64(sm.PageSize()) + plus
	if total < 0 {
		return 0, vfail("size {pages %d, plus %d} is negative with a page size of %d", pages, plus, sm.PageSize())
	}
	return int(total), nil
}

func evalData(v any, saved map[string][]byte) ([]byte, error) {
	d := v.(jsonObject)
	switch {
	case hasKey(d, "hex"):
		return hex.DecodeString(d["hex"].(string))
	case hasKey(d, "fill"):
		n, err := evalSize(d["len"])
		if err != nil {
			return nil, err
		}
		if n > maxData {
			return nil, vfail("data of %d bytes is larger than the limit", n)
		}
		unit, _ := hex.DecodeString(d["fill"].(string))
		out := make([]byte, n)
		for i := range out {
			out[i] = unit[i%len(unit)]
		}
		return out, nil
	case hasKey(d, "counter"):
		start, err := evalSize(d["counter"])
		if err != nil {
			return nil, err
		}
		n, err := evalSize(d["len"])
		if err != nil {
			return nil, err
		}
		if n > maxData {
			return nil, vfail("data of %d bytes is larger than the limit", n)
		}
		out := make([]byte, n)
		for i := range out {
			out[i] = byte(start + i)
		}
		return out, nil
	}
	name := d["ref"].(string)
	data := saved[name]
	off := 0
	if hasKey(d, "offset") {
		var err error
		if off, err = evalSize(d["offset"]); err != nil {
			return nil, err
		}
	}
	if off > len(data) {
		return nil, vfail("ref %q: offset %d is past its %d bytes", name, off, len(data))
	}
	n := len(data) - off
	if hasKey(d, "len") {
		var err error
		if n, err = evalSize(d["len"]); err != nil {
			return nil, err
		}
	}
	if n > len(data)-off {
		return nil, vfail("ref %q: slice [%d, +%d) is outside its %d bytes", name, off, n, len(data))
	}
	return bytes.Clone(data[off : off+n]), nil
}

func preview(b []byte) string {
	if len(b) > 24 {
		return hex.EncodeToString(b[:24]) + "..."
	}
	return hex.EncodeToString(b)
}

// ---- execution -----------------------------------------------------------------

// vctx is one scenario's state.
type vctx struct {
	objects map[string]any
	created []any
	saved   map[string][]byte
	open    []*sm.GuardedSecret // accesses left open by secret.acquire
}

// cleanup ends every access left open, then closes every object created.
func (c *vctx) cleanup() {
	for i := len(c.open) - 1; i >= 0; i-- {
		_ = c.open[i].Release()
	}
	c.open = nil
	for i := len(c.created) - 1; i >= 0; i-- {
		switch o := c.created[i].(type) {
		case *sm.GuardedSecret:
			_ = o.Close()
		case *sm.Buffer:
			_ = o.Destroy()
		case *sm.Enclave:
			o.Destroy()
		case *sm.Stream:
			_ = o.Close()
		}
	}
	c.created = nil
}

// notApplicable names the capabilities a scenario needs that this runner
// lacks ("" when it can run).
func notApplicable(sc jsonObject) string {
	var lack []string
	if req, ok := sc["requires"].([]any); ok {
		for _, c := range req {
			if !ourCapabilities[c.(string)] {
				lack = append(lack, c.(string))
			}
		}
	}
	if len(lack) == 0 {
		return ""
	}
	return "not applicable: requires " + strings.Join(lack, ", ")
}

// runScenario runs one validated scenario; the error names the first
// failing step.
func runScenario(sc jsonObject) error {
	c := &vctx{objects: map[string]any{}, saved: map[string][]byte{}}
	defer c.cleanup()
	for i, s := range sc["steps"].([]any) {
		step := s.(jsonObject)
		if err := runStep(c, step); err != nil {
			return vfail("step %d (%s): %v", i, step["op"], err)
		}
	}
	return nil
}

// statusOf is the status name an operation's error stands for.
func statusOf(err error) (string, error) {
	var e *sm.Error
	var so statusOnly
	switch {
	case err == nil:
		return "SM_OK", nil
	case err == io.EOF:
		return "SM_ERR_EOF", nil
	case errors.As(err, &e):
		return e.Code, nil
	case errors.As(err, &so):
		return string(so), nil
	}
	return "", vfail("returned %T (not a status): %v", err, err)
}

func callOp(o *opSpec, c *vctx, target any, args map[string]any) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = vfail("panicked (not a status): %v", r)
		}
	}()
	return o.run(c, target, args)
}

func runStep(c *vctx, step jsonObject) error {
	o := ops[step["op"].(string)]
	var target any
	if o.target != "" {
		target = c.objects[step["on"].(string)]
	}
	raw, _ := step["args"].(jsonObject)
	args := map[string]any{}
	var source []byte
	for name, spec := range o.args {
		v, ok := raw[name]
		if !ok {
			continue
		}
		switch spec.typ {
		case "size":
			n, err := evalSize(v)
			if err != nil {
				return err
			}
			args[name] = n
		case "data":
			data, err := evalData(v, c.saved)
			if err != nil {
				return err
			}
			if o.wipes {
				source = data // a fresh, writable copy the call wipes
			}
			args[name] = data
		case "buffer":
			args[name] = c.objects[v.(string)]
		default:
			args[name] = v
		}
	}
	result, opErr := callOp(o, c, target, args)
	var ve *vectorError
	if errors.As(opErr, &ve) {
		return opErr
	}
	status, err := statusOf(opErr)
	if err != nil {
		return err
	}
	if o.creates != "" && status == "SM_OK" {
		c.created = append(c.created, result)
		if as, ok := step["as"].(string); ok {
			c.objects[as] = result
		}
	}
	exp, _ := step["expect"].(jsonObject)
	want := "SM_OK"
	if s, ok := exp["status"].(string); ok {
		want = s
	}
	if status != want {
		return vfail("status %s, expected %s", status, want)
	}
	if hasKey(exp, "source_wiped") && (source == nil || !allZero(source)) {
		return vfail("the caller's %d source bytes were not wiped", len(source))
	}
	if o.result == "bytes" {
		got := []byte{}
		if status == "SM_OK" {
			b, ok := result.([]byte)
			if !ok {
				return vfail("the operation gave %T, not bytes", result)
			}
			got = b
		}
		if err := checkBytes(exp, got, c.saved); err != nil {
			return err
		}
		if name, ok := step["save"].(string); ok {
			c.saved[name] = got
		}
	}
	if hasKey(exp, "value") {
		return checkValue(o, exp["value"], result)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func checkBytes(exp jsonObject, got []byte, saved map[string][]byte) error {
	if hasKey(exp, "len") {
		n, err := evalSize(exp["len"])
		if err != nil {
			return err
		}
		if len(got) != n {
			return vfail("%d bytes, expected %d", len(got), n)
		}
	}
	if hasKey(exp, "bytes") {
		want, err := evalData(exp["bytes"], saved)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			at := min(len(got), len(want))
			for i := 0; i < at; i++ {
				if got[i] != want[i] {
					at = i
					break
				}
			}
			return vfail("bytes differ at offset %d: got %d bytes [%s], expected %d bytes [%s]",
				at, len(got), preview(got), len(want), preview(want))
		}
	}
	if hasKey(exp, "not_bytes") {
		other, err := evalData(exp["not_bytes"], saved)
		if err != nil {
			return err
		}
		if bytes.Equal(got, other) {
			return vfail("bytes equal %d bytes [%s], expected them to differ", len(other), preview(other))
		}
	}
	if hasKey(exp, "not_all_zero") && allZero(got) {
		return vfail("all %d bytes are zero", len(got))
	}
	return nil
}

func checkValue(o *opSpec, want, got any) error {
	switch o.result {
	case "int":
		n, err := evalSize(want)
		if err != nil {
			return err
		}
		if g, ok := got.(int); !ok || g != n {
			return vfail("value %v, expected %d", got, n)
		}
	case "bool":
		if g, ok := got.(bool); !ok || g != want {
			return vfail("value %v, expected %v", got, want)
		}
	default:
		if g, ok := got.(string); !ok || g != want {
			return vfail("value %q, expected %q", got, want)
		}
	}
	return nil
}

// ---- files ---------------------------------------------------------------------

// vcase is one scenario (or one malformed file) to report.
type vcase struct {
	id       string
	scenario jsonObject
	err      error // the file or the scenario is malformed
}

// vectorFiles lists *.json of dir (not schema.json, not dot files) in byte
// order of the names.
func vectorFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") && n != "schema.json" {
			files = append(files, filepath.Join(dir, n))
		}
	}
	sort.Strings(files)
	return files, nil
}

func loadFile(path string) ([]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	if err := keysOf(doc, []string{"format", "description", "scenarios"}, "the file"); err != nil {
		return nil, err
	}
	top := doc.(jsonObject)
	if err := checkType(get(top, "format"), "integer", `"format"`); err != nil {
		return nil, err
	}
	if f := top["format"].(int64); f != 1 {
		return nil, vfail("format %d is not supported (only 1)", f)
	}
	if hasKey(top, "description") {
		if err := checkType(top["description"], "string", `"description"`); err != nil {
			return nil, err
		}
	}
	if err := checkType(get(top, "scenarios"), "array", `"scenarios"`); err != nil {
		return nil, err
	}
	scenarios := top["scenarios"].([]any)
	if len(scenarios) == 0 {
		return nil, vfail(`"scenarios" is empty`)
	}
	seen := map[string]bool{}
	for _, sc := range scenarios {
		if obj, ok := sc.(jsonObject); ok {
			if n, ok := obj["name"].(string); ok {
				if seen[n] {
					return nil, vfail("two scenarios are named %q", n)
				}
				seen[n] = true
			}
		}
	}
	return scenarios, nil
}

// loadCases returns one case per scenario of every vector file of dir; a
// file that cannot be read or parsed, or whose top level is malformed, is
// one failing case named "<stem>/(file)".
func loadCases(dir string) ([]vcase, error) {
	files, err := vectorFiles(dir)
	if err != nil {
		return nil, err
	}
	var cases []vcase
	for _, path := range files {
		stem := strings.TrimSuffix(filepath.Base(path), ".json")
		scenarios, err := loadFile(path)
		if err != nil {
			cases = append(cases, vcase{id: stem + "/(file)", err: err})
			continue
		}
		for i, sc := range scenarios {
			id := fmt.Sprintf("%s/#%d", stem, i)
			obj, _ := sc.(jsonObject)
			if n, ok := obj["name"].(string); ok && n != "" {
				id = stem + "/" + n
			}
			cases = append(cases, vcase{id: id, scenario: obj, err: validateScenario(sc)})
		}
	}
	return cases, nil
}

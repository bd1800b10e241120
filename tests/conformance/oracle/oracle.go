// SPDX-License-Identifier: GPL-2.0-or-later

// The independent judge of ttyaudit's checkpoints and proofs: Go's
// golang.org/x/mod/sumdb/note opens the signed notes and sumdb/tlog checks
// the Merkle proofs; the checkpoint body rules and the cosignature/v1
// verifier are written here from c2sp.org/tlog-checkpoint and
// c2sp.org/tlog-cosignature, without reading ttyaudit's C code.
//
//	oracle note VKEY ORIGIN FILE [WITNESS_VKEY...]  -> "accept SIZE COSIGS" | "reject"
//	oracle proof VKEY ORIGIN FILE                   -> "accept inclusion N RECORDS" |
//	                                                   "accept consistency M N" | "reject"
//
// A verdict is printed on stdout (with the reason on stderr); exit 0 either way,
// exit 2 on a usage error.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// cosigV1 verifies Ed25519 cosignatures (signature type 0x04).
type cosigV1 struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (c *cosigV1) Name() string    { return c.name }
func (c *cosigV1) KeyHash() uint32 { return c.hash }
func (c *cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts > math.MaxInt64 {
		return false
	}
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", ts)), msg...)
	return ed25519.Verify(c.pub, m, sig[8:])
}

func parseCosigVkey(vkey string) (*cosigV1, error) {
	f := strings.SplitN(vkey, "+", 3)
	if len(f) != 3 {
		return nil, errors.New("malformed witness key")
	}
	raw, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return nil, errors.New("not a cosignature/v1 key")
	}
	h := sha256.Sum256(append([]byte(f[0]+"\n"), raw...))
	id, err := strconv.ParseUint(f[1], 16, 32)
	if err != nil || len(f[1]) != 8 || uint32(id) != binary.BigEndian.Uint32(h[:4]) {
		return nil, errors.New("witness key ID mismatch")
	}
	return &cosigV1{name: f[0], hash: uint32(id), pub: ed25519.PublicKey(raw[1:])}, nil
}

type checkpoint struct {
	size int64
	root tlog.Hash
}

// parseBody applies c2sp.org/tlog-checkpoint to a note's text.
func parseBody(text, origin string) (checkpoint, error) {
	var c checkpoint
	if !strings.HasSuffix(text, "\n") {
		return c, errors.New("text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return c, errors.New("fewer than three lines")
	}
	for _, l := range lines {
		if l == "" {
			return c, errors.New("empty line in the checkpoint")
		}
	}
	if lines[0] != origin {
		return c, fmt.Errorf("origin %q is not %q", lines[0], origin)
	}
	if len(lines[1]) > 1 && lines[1][0] == '0' {
		return c, errors.New("tree size with a leading zero")
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return c, fmt.Errorf("tree size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return c, errors.New("root hash is not 32 bytes of base64")
	}
	if n > math.MaxInt64 {
		// tlog counts in int64; a size this large cannot be checked by it.
		return c, errors.New("tree size beyond int64")
	}
	c.size = int64(n)
	copy(c.root[:], root)
	return c, nil
}

// openCheckpoint: a valid signature by the log key, every known witness's
// cosignature valid, a checkpoint body of the origin. Returns the cosignatures.
func openCheckpoint(msg []byte, log note.Verifier, origin string, witnesses []note.Verifier) (checkpoint, int, error) {
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{log}, witnesses...)...))
	if err != nil {
		return checkpoint{}, 0, err
	}
	signed, cosigs := false, 0
	for _, s := range n.Sigs {
		if s.Name == log.Name() && s.Hash == log.KeyHash() {
			signed = true
		} else {
			cosigs++
		}
	}
	if !signed {
		return checkpoint{}, 0, errors.New("no signature by the log key")
	}
	c, err := parseBody(n.Text, origin)
	return c, cosigs, err
}

func readKey(arg string) string {
	if b, err := os.ReadFile(arg); err == nil {
		return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	return arg
}

func judgeNote(args []string) (string, error) {
	log, err := note.NewVerifier(readKey(args[0]))
	if err != nil {
		return "", err
	}
	msg, err := os.ReadFile(args[2])
	if err != nil {
		return "", err
	}
	var ws []note.Verifier
	for _, a := range args[3:] {
		w, err := parseCosigVkey(readKey(a))
		if err != nil {
			return "", err
		}
		ws = append(ws, w)
	}
	c, cosigs, err := openCheckpoint(msg, log, args[1], ws)
	if err != nil {
		return "reject", err
	}
	return fmt.Sprintf("accept %d %d", c.size, cosigs), nil
}

// proofReader walks the lines of a ttyaudit proof file (docs/log-format.md §9).
type proofReader struct{ b []byte }

func (r *proofReader) line() (string, bool) {
	i := bytes.IndexByte(r.b, '\n')
	if i < 0 {
		return "", false
	}
	l := string(r.b[:i])
	r.b = r.b[i+1:]
	return l, true
}

func (r *proofReader) field(name string) (string, error) {
	l, ok := r.line()
	if !ok || !strings.HasPrefix(l, name+" ") {
		return "", fmt.Errorf("expected %q", name)
	}
	return l[len(name)+1:], nil
}

func (r *proofReader) size(name string) (int64, error) {
	v, err := r.field(name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

func (r *proofReader) note(name string) ([]byte, error) {
	n, err := r.size(name)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(r.b)) {
		return nil, errors.New("note length beyond the file")
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b, nil
}

// signed reads the note called name and opens it as a checkpoint of the log.
func (r *proofReader) signed(name string, log note.Verifier, origin string) (checkpoint, error) {
	msg, err := r.note(name)
	if err != nil {
		return checkpoint{}, err
	}
	c, _, err := openCheckpoint(msg, log, origin, nil)
	return c, err
}

// path reads a "path K HASH..." line.
func (r *proofReader) path() ([]tlog.Hash, error) {
	v, err := r.field("path")
	if err != nil {
		return nil, err
	}
	return parsePath(v)
}

func parsePath(v string) ([]tlog.Hash, error) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return nil, errors.New("empty path line")
	}
	k, err := strconv.Atoi(f[0])
	if err != nil || k != len(f)-1 {
		return nil, errors.New("path count mismatch")
	}
	var p []tlog.Hash
	for _, x := range f[1:] {
		b, err := hex.DecodeString(x)
		if err != nil || len(b) != tlog.HashSize {
			return nil, errors.New("bad path hash")
		}
		var h tlog.Hash
		copy(h[:], b)
		p = append(p, h)
	}
	return p, nil
}

func judgeProof(args []string) (string, error) {
	log, err := note.NewVerifier(readKey(args[0]))
	if err != nil {
		return "", err
	}
	origin := args[1]
	b, err := os.ReadFile(args[2])
	if err != nil {
		return "", err
	}
	r := &proofReader{b: b}
	if l, _ := r.line(); l != "ttyaudit-proof 1" {
		return "reject", errors.New("not a ttyaudit proof")
	}
	kind, err := r.field("kind")
	if err != nil {
		return "reject", err
	}
	switch kind {
	case "inclusion":
		t, err := r.size("tree-size")
		if err != nil {
			return "reject", err
		}
		type rec struct {
			index int64
			hash  tlog.Hash
			path  []tlog.Hash
		}
		var recs []rec
		for bytes.HasPrefix(r.b, []byte("record ")) {
			v, _ := r.field("record")
			f := strings.SplitN(v, " ", 2)
			if len(f) != 2 {
				return "reject", errors.New("bad record line")
			}
			idx, err := strconv.ParseInt(f[0], 10, 64)
			data, err2 := base64.StdEncoding.DecodeString(f[1])
			if err != nil || err2 != nil {
				return "reject", errors.New("bad record line")
			}
			p, err := r.path()
			if err != nil {
				return "reject", err
			}
			recs = append(recs, rec{idx, tlog.RecordHash(data), p})
		}
		c, err := r.signed("checkpoint", log, origin)
		if err != nil {
			return "reject", err
		}
		if c.size != t || len(r.b) != 0 || len(recs) == 0 {
			return "reject", errors.New("checkpoint size, trailing data or no record")
		}
		for _, x := range recs {
			if err := tlog.CheckRecord(tlog.RecordProof(x.path), t, c.root, x.index, x.hash); err != nil {
				return "reject", fmt.Errorf("record %d: %v", x.index, err)
			}
		}
		return fmt.Sprintf("accept inclusion %d %d", t, len(recs)), nil
	case "consistency":
		m, err := r.size("old-size")
		if err != nil {
			return "reject", err
		}
		ov, err := r.field("old-root")
		if err != nil {
			return "reject", err
		}
		ob, err := base64.StdEncoding.DecodeString(ov)
		if err != nil || len(ob) != tlog.HashSize {
			return "reject", errors.New("bad old-root")
		}
		var oldRoot tlog.Hash
		copy(oldRoot[:], ob)
		t, err := r.size("tree-size")
		if err != nil {
			return "reject", err
		}
		p, err := r.path()
		if err != nil {
			return "reject", err
		}
		if bytes.HasPrefix(r.b, []byte("old-checkpoint ")) {
			oc, err := r.signed("old-checkpoint", log, origin)
			if err != nil {
				return "reject", err
			}
			if oc.size != m || oc.root != oldRoot {
				return "reject", errors.New("old checkpoint differs from old-size/old-root")
			}
		}
		c, err := r.signed("checkpoint", log, origin)
		if err != nil {
			return "reject", err
		}
		if c.size != t || len(r.b) != 0 {
			return "reject", errors.New("checkpoint size or trailing data")
		}
		if err := tlog.CheckTree(tlog.TreeProof(p), t, c.root, m, oldRoot); err != nil {
			return "reject", err
		}
		return fmt.Sprintf("accept consistency %d %d", m, t), nil
	}
	return "reject", fmt.Errorf("unknown kind %q", kind)
}

func main() {
	var verdict string
	var err error
	switch {
	case len(os.Args) >= 5 && os.Args[1] == "note":
		verdict, err = judgeNote(os.Args[2:])
	case len(os.Args) == 5 && os.Args[1] == "proof":
		verdict, err = judgeProof(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "usage: oracle note VKEY ORIGIN FILE [WITNESS_VKEY...] | oracle proof VKEY ORIGIN FILE")
		os.Exit(2)
	}
	if verdict == "" {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
	}
	fmt.Println(verdict)
}

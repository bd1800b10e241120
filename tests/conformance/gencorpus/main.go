// SPDX-License-Identifier: GPL-2.0-or-later

// Writes the hostile-note corpus of tests/conformance/notes (run once; the
// output is committed): checkpoints signed with Go's sumdb/note by fixed test
// keys, then bent in the ways c2sp.org/signed-note and tlog-checkpoint
// accept or refuse. The `expected` file lists each note's verdict, with the
// witness keys w1 and w2 known: "accept SIZE COSIGS" or "reject" ("reject stricter":
// Go accepts it, ttyaudit refuses it on purpose).
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go DIR
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

const origin = "conformance.example/log"

type seedReader struct{ b byte }

func (r *seedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
		r.b++
	}
	return len(p), nil
}

type cosigner struct {
	name string
	id   uint32
	key  ed25519.PrivateKey
}

func newCosigner(name string, seed byte) *cosigner {
	s := make([]byte, 32)
	for i := range s {
		s[i] = seed + byte(i)
	}
	k := ed25519.NewKeyFromSeed(s)
	h := sha256.Sum256(append([]byte(name+"\n\x04"), k.Public().(ed25519.PublicKey)...))
	return &cosigner{name, binary.BigEndian.Uint32(h[:4]), k}
}

func (c *cosigner) vkey() string {
	return fmt.Sprintf("%s+%08x+%s", c.name, c.id,
		base64.StdEncoding.EncodeToString(append([]byte{4}, c.key.Public().(ed25519.PublicKey)...)))
}

func (c *cosigner) line(text string, ts uint64) string {
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, text)
	sig := make([]byte, 12, 76)
	binary.BigEndian.PutUint32(sig, c.id)
	binary.BigEndian.PutUint64(sig[4:], ts)
	sig = append(sig, ed25519.Sign(c.key, []byte(msg))...)
	return "— " + c.name + " " + base64.StdEncoding.EncodeToString(sig) + "\n"
}

func b64n(n int, fill byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, n))
}

func main() {
	dir := os.Args[1]
	skey, vkey, err := note.GenerateKey(&seedReader{1}, origin)
	if err != nil {
		panic(err)
	}
	signer, _ := note.NewSigner(skey)
	w1, w2 := newCosigner("witness.example/w1", 0x40), newCosigner("witness.example/w2", 0x80)
	root := sha256.Sum256([]byte("conformance"))
	rootB64 := base64.StdEncoding.EncodeToString(root[:])
	body := func(size string) string { return origin + "\n" + size + "\n" + rootB64 + "\n" }
	sign := func(text string) string {
		b, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	B := body("42")
	N := sign(B)
	sigLine := N[len(B)+1:]
	var expected []string
	put := func(name, content, verdict string) {
		if err := os.WriteFile(filepath.Join(dir, name+".note"), []byte(content), 0o644); err != nil {
			panic(err)
		}
		expected = append(expected, name+".note "+verdict)
	}
	flip := func(s string, at int) string { b := []byte(s); b[at] ^= 1; return string(b) }
	logID := sigLine[len("— "+origin+" "):]
	otherID := base64.StdEncoding.EncodeToString(append([]byte{0xde, 0xad, 0xbe, 0xef}, bytes.Repeat([]byte{7}, 64)...))

	// What the spec makes a verifier accept.
	put("plain", N, "accept 42 0")
	put("unknown-125-bytes", N+"— pq.example/log "+b64n(125, 9)+"\n", "accept 42 0")
	put("unknown-ml-dsa-size", N+"— pq.example/log "+b64n(4+2420, 3)+"\n", "accept 42 0")
	put("unknown-5-bytes", N+"— tiny.example "+b64n(5, 1)+"\n", "accept 42 0")
	put("unknown-first", "\n"+"— pq.example/log "+b64n(125, 9)+"\n", "reject")
	put("unknown-before-log", B+"\n— pq.example/log "+b64n(125, 9)+"\n"+sigLine, "accept 42 0")
	put("log-name-other-id", N+"— "+origin+" "+otherID+"\n", "accept 42 0")
	put("cosigned-w1", N+w1.line(B, 1700000000), "accept 42 1")
	put("cosigned-w1-w2", N+w1.line(B, 1700000000)+w2.line(B, 1700000001), "accept 42 2")
	put("cosigned-repeat-ignored", N+w1.line(B, 1700000000)+w1.line(B, 1700000005), "accept 42 1")
	put("log-signature-repeated", N+sigLine, "accept 42 0")
	put("log-signature-repeat-bad", N+flip(sigLine, len(sigLine)-5), "accept 42 0")
	put("utf8-unknown-name", N+"— é.example/ウ "+b64n(68, 2)+"\n", "accept 42 0")
	put("extension-lines", sign(B+"ext one\nsecond extension\n"), "accept 42 0")
	put("empty-tree", sign(origin+"\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"), "accept 0 0")
	put("noncanonical-base64-unknown", N+"— x.example AAAAAAAAAB==\n", "accept 42 0")
	many := N
	for i := 0; i < 99; i++ {
		many += fmt.Sprintf("— other%d.example %s\n", i, b64n(68, byte(i)))
	}
	put("100-signatures", many, "accept 42 0")
	put("101-signatures", many+"— one-too-many.example "+b64n(68, 1)+"\n", "reject")

	// What it makes a verifier refuse.
	put("tab-in-text", sign(origin+"\n42\n"+rootB64+"\nex\tt\n"), "reject")
	put("cr-in-signature-line", strings.TrimSuffix(N, "\n")+"\r\n", "reject")
	put("nul-in-unknown-line", N+"— a\x00b "+b64n(68, 2)+"\n", "reject")
	put("esc-in-unknown-name", N+"— a\x1bb "+b64n(68, 2)+"\n", "reject")
	put("invalid-utf8-name", N+"— a\xffb "+b64n(68, 2)+"\n", "reject")
	put("overlong-utf8", N+"— a\xc0\xafb "+b64n(68, 2)+"\n", "reject")
	put("plus-in-unknown-name", N+"— a+b "+b64n(68, 2)+"\n", "reject")
	put("nbsp-in-unknown-name", N+"— a\u00a0b "+b64n(68, 2)+"\n", "reject")
	put("ideographic-space-name", N+"— a\u3000b "+b64n(68, 2)+"\n", "reject")
	put("empty-key-name", N+"—  "+b64n(68, 2)+"\n", "reject")
	put("no-signature-base64", N+"— name.example\n", "reject")
	put("empty-signature-base64", N+"— name.example \n", "reject")
	put("four-byte-signature", N+"— name.example "+b64n(4, 2)+"\n", "reject")
	put("bad-base64-length", N+"— name.example AAAAAAA\n", "reject")
	put("bad-base64-char", N+"— name.example AAAA*AAA\n", "reject")
	put("base64-inner-padding", N+"— name.example AA==AAAA\n", "reject")
	put("hyphen-not-em-dash", N+"- name.example "+b64n(68, 2)+"\n", "reject")
	put("no-blank-line", B+sigLine, "reject")
	put("no-signature-lines", B+"\n", "reject")
	put("no-final-newline", strings.TrimSuffix(N, "\n"), "reject")
	put("garbage-after-signatures", N+"trailing\n", "reject")
	put("bad-log-signature", flip(N, len(N)-10), "reject")
	put("altered-text", flip(N, 3), "reject")
	put("log-signature-wrong-length", B+"\n— "+origin+" "+base64.StdEncoding.EncodeToString(append(mustB64(logID)[:4], bytes.Repeat([]byte{1}, 65)...))+"\n", "reject")
	put("bad-cosignature-known-witness", N+flip(w1.line(B, 1700000000), 40), "reject")
	put("cosignature-wrong-length", N+"— witness.example/w1 "+base64.StdEncoding.EncodeToString(append(idBytes(w1.id), bytes.Repeat([]byte{1}, 64)...))+"\n", "reject")
	put("cosignature-only", B+"\n"+w1.line(B, 1700000000), "reject")
	put("wrong-origin", sign("evil.example/other-log\n42\n"+rootB64+"\n"), "reject")
	put("size-leading-zero", sign(body("042")), "reject")
	put("size-plus-sign", sign(body("+42")), "reject")
	put("size-negative", sign(body("-1")), "reject")
	put("size-space", sign(body(" 42")), "reject")
	put("size-overflow", sign(body("18446744073709551616")), "reject")
	put("size-hex", sign(body("0x2a")), "reject")
	put("root-31-bytes", sign(origin+"\n42\n"+base64.StdEncoding.EncodeToString(root[:31])+"\n"), "reject")
	put("root-not-base64", sign(origin+"\n42\n"+strings.Replace(rootB64, "=", "", 1)+"\n"), "reject")
	put("two-lines", sign(origin+"\n42\n"), "reject")
	put("empty-line-in-body", sign(B+"\next\n"), "reject")
	put("empty-origin", sign("\n42\n"+rootB64+"\n"), "reject")
	put("note-text-empty-lines-not-checkpoint", sign("a\n\nb\n"), "reject")

	// What the spec accepts and ttyaudit refuses ("reject stricter"): what a terminal acts on
	// or hides (DEL, C1, bidi, invisible, a pile of marks), as `checkpoint` and `prove`
	// print a note byte for byte (docs/log-format.md §6).
	put("del-in-unknown-name", N+"— a\x7fb "+b64n(68, 2)+"\n", "reject stricter")
	put("c1-csi-in-unknown-name", N+"— a\u009b2Jb "+b64n(68, 2)+"\n", "reject stricter")
	put("bidi-override-in-unknown-name", N+"— a\u202eb "+b64n(68, 2)+"\n", "reject stricter")
	put("zero-width-in-unknown-name", N+"— a\u200bb "+b64n(68, 2)+"\n", "reject stricter")
	put("five-marks-in-unknown-name", N+"— a\u0301\u0301\u0301\u0301\u0301b "+b64n(68, 2)+"\n", "reject stricter")
	put("c1-in-extension-line", sign(B+"ext\u009b1;31m\n"), "reject stricter")

	os.WriteFile(filepath.Join(dir, "log.vkey"), []byte(vkey+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "w1.vkey"), []byte(w1.vkey()+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "w2.vkey"), []byte(w2.vkey()+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "expected"), []byte(strings.Join(expected, "\n")+"\n"), 0o644)
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		panic(err)
	}
	return b
}

func idBytes(id uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, id)
	return b
}

#!/usr/bin/env python3
"""Each BPF program's deepest chain of frames fits the verifier's 512 bytes.

The verifier adds up the frames of a program and of every function it calls
(and of a bpf_loop callback), each rounded up to 32 bytes, and refuses the
program past 512 (check_max_stack_depth). The fallback variant calls its chunk
step from sys_exit's frame of over 400 bytes: 8 bytes more in the step, one
value the compiler kept across a map call, and 5.10 refused the tracepoint
backend. Only a VM with that kernel saw it; this reads the frames from the
objects we build, with the rule of the oldest kernel we support.

usage: bpf_stack_test.py LLVM_OBJDUMP OBJECT...
"""
import re
import subprocess
import sys

MAX_STACK = 512
# What is left to the compiler's next whim: a chain this close to the limit
# is reported (not failed) so a change that eats the margin is seen.
WARN_MARGIN = 32

HEADER = re.compile(r'^[0-9a-f]+ <([^>]+)>:')
SECTION = re.compile(r'^Disassembly of section (\S+):')
STACK_ACCESS = re.compile(r'\(r10 - (0x[0-9a-f]+|\d+)\)')
FROM_FP = re.compile(r'^\s*\d+:\s+(r\d+) = r10$')
ADD = re.compile(r'^\s*\d+:\s+(r\d+) \+= -(\d+)$')
ASSIGN = re.compile(r'^\s*\d+:\s+(r\d+) = ')
RELOC = re.compile(r'R_BPF_64_(?:32|64)\s+(\S+)')


def round32(n):
    return (max(n, 1) + 31) // 32 * 32


def frames(objdump, path):
    """{function: (section, depth, set of functions it calls or passes as callbacks)}"""
    out = subprocess.run([objdump, '-d', '-r', '--no-show-raw-insn', path],
                         capture_output=True, text=True, check=True).stdout
    funcs = {}
    section = fn = None
    fp_regs = set()
    for line in out.splitlines():
        m = SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        m = HEADER.match(line)
        if m:
            if not m.group(1).startswith('LBB'):
                fn = m.group(1)
                funcs[fn] = [section, 0, set()]
                fp_regs = set()
            continue
        if fn is None:
            continue
        f = funcs[fn]
        for v in STACK_ACCESS.findall(line):
            f[1] = max(f[1], int(v, 0))
        m = ADD.match(line)
        if m and m.group(1) in fp_regs:
            # a pointer into the frame handed to a helper: its depth counts
            f[1] = max(f[1], int(m.group(2)))
        m = FROM_FP.match(line)
        if m:
            fp_regs.add(m.group(1))
        elif ASSIGN.match(line) and not ADD.match(line):
            fp_regs.discard(ASSIGN.match(line).group(1))
        m = RELOC.search(line)
        if m:
            f[2].add(m.group(1))
    return {k: (v[0], v[1], v[2]) for k, v in funcs.items()}


def deepest(funcs, name, seen=()):
    """(bytes, chain) of the deepest chain from name."""
    _, depth, calls = funcs[name]
    best, chain = 0, []
    for c in sorted(calls):
        if c in funcs and c not in seen and funcs[c][0] != '.maps':
            b, ch = deepest(funcs, c, seen + (name,))
            if b > best:
                best, chain = b, ch
    return round32(depth) + best, [f'{name}({depth})'] + chain


def main():
    objdump, objects = sys.argv[1], sys.argv[2:]
    failures = programs = 0
    for path in objects:
        funcs = frames(objdump, path)
        for name, (section, _, _) in sorted(funcs.items()):
            if section in (None, '.text'):
                continue  # a subprog, counted in its callers' chains
            programs += 1
            total, chain = deepest(funcs, name)
            where = f'{path.rsplit("/", 1)[-1]}: {section} {" -> ".join(chain)}'
            if total > MAX_STACK:
                print(f'FAIL: {where}: {total} bytes of stack, the verifier allows {MAX_STACK}',
                      file=sys.stderr)
                failures += 1
            elif total > MAX_STACK - WARN_MARGIN:
                print(f'note: {where}: {total} of {MAX_STACK} bytes')
    if programs == 0:
        print('FAIL: no BPF programs found in ' + ' '.join(objects), file=sys.stderr)
        return 1
    print(f'{programs} programs checked, {failures} over the stack limit')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

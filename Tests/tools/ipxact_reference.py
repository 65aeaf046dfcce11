#!/usr/bin/env python3
"""An independent reading of an IP-XACT component's memory map, for checking barlua's regs.load.

Written separately from barlua.ipxact (Python's ElementTree, its own expression evaluator),
following IEEE 1685 as docs/registers.md states the rules:
byte offset = (block base + register-file offsets + register offset + index * stride)
* addressUnitBits / 8; register arrays step by ceil(size / addressUnitBits) unless a 2022
<array><stride> says; register-file arrays step by their range; a dim of 0 is no array;
serial banks place items one after another, parallel ones at the bank's base; with more
than one address block loaded, register names start with their block's name; the access of
a field is its own, else its register's, else its block's, else read-write; barlua's access
of a register with fields is the union of its fields' (ro+wo = rw) unless the register itself
says read-only or write-only, without fields its own. IEEE 1685-2022: an element with a
*DefinitionRef reads as the definition (from the typeDefinitions document of the VLNV its
component's externalTypeDefinitions names, in the component's folder, or, in that document,
its own) completed by the instance's elements; a field with aliasOf has the aliased field's
bitWidth and resets; a register or register file that cannot be read is left out.

Usage: ipxact_reference.py FILE [MAP [BLOCK]]; prints one line per register, sorted by offset
then name:
  0xOFFSET BITS NAME access=IPXACT barlua=ro|wo|rw reset=0xR fields=f@lsb+width:access,...
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

NAMESPACES = {
    "http://www.spiritconsortium.org/XMLSchema/SPIRIT/1.4": 1.4,
    "http://www.spiritconsortium.org/XMLSchema/SPIRIT/1.5": 1.5,
    "http://www.spiritconsortium.org/XMLSchema/SPIRIT/1685-2009": 2009,
    "http://www.accellera.org/XMLSchema/SPIRIT/1685-2009": 2009,
    "http://www.accellera.org/XMLSchema/IPXACT/1685-2014": 2014,
    "http://www.accellera.org/XMLSchema/IPXACT/1685-2022": 2022,
}
BARLUA = {"read-only": "ro", "write-only": "wo", "writeOnce": "wo", "read-write": "rw", "read-writeOnce": "rw"}

TOKEN = re.compile(r"""\s*(?:
    (?P<based>(?:\d+)?\s*'[sS]?[hHdDbBoO]\s*[0-9a-fA-F_]+) |
    (?P<hex>0[xX][0-9a-fA-F_]+) |
    (?P<dec>\d[\d_]*) |
    (?P<sys>\$[A-Za-z_]\w*) |
    (?P<id>[A-Za-z_][\w.]*) |
    (?P<op><<<|>>>|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%<>!~&|^?:(),{}])
)""", re.X)

BIN = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, "<=": 7, ">": 7, ">=": 7,
       "<<": 8, ">>": 8, "<<<": 8, ">>>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10, "**": 11}


class Expr:
    """A SystemVerilog constant expression; values as (int, width or None)."""

    def __init__(self, text, params):
        self.toks, pos = [], 0
        text = text.strip()
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError("cannot read %r at %d" % (text, pos))
            pos = m.end()
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind).replace(" ", "")))
        self.toks.append(("eof", ""))
        self.i, self.params, self.text = 0, params, text

    def peek(self):
        return self.toks[self.i]

    def take(self):
        self.i += 1
        return self.toks[self.i - 1]

    def expect(self, op):
        t = self.take()
        if t != ("op", op):
            raise ValueError("expected %s in %r" % (op, self.text))

    def primary(self):
        kind, s = self.take()
        if kind == "based":
            size, rest = s.split("'")
            rest = rest.lstrip("sS")
            radix = {"h": 16, "d": 10, "b": 2, "o": 8}[rest[0].lower()]
            v = int(rest[1:].replace("_", ""), radix)
            w = int(size) if size else None
            return (v & ((1 << w) - 1) if w else v), w
        if kind == "hex":
            return int(s[2:].replace("_", ""), 16), None
        if kind == "dec":
            return int(s.replace("_", "")), None
        if kind == "id":
            if s in ("true", "false"):
                return int(s == "true"), None
            if s not in self.params:
                raise ValueError("unknown parameter %s" % s)
            return self.params[s](), None
        if kind == "sys":
            self.expect("(")
            args = [self.expr()[0]]
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.expr()[0])
            self.expect(")")
            if s == "$pow":
                return args[0] ** args[1], None
            if s == "$clog2":
                return max(0, (args[0] - 1).bit_length()), None
            raise ValueError("function " + s)
        if (kind, s) == ("op", "("):
            v = self.expr()
            self.expect(")")
            return v
        if (kind, s) == ("op", "{"):
            first = self.expr()
            if self.peek() == ("op", "{"):
                self.take()
                v, w = self.expr()
                self.expect("}")
                self.expect("}")
                out = 0
                for _ in range(first[0]):
                    out = (out << w) | v
                return out, first[0] * w
            parts = [first]
            while self.peek() == ("op", ","):
                self.take()
                parts.append(self.expr())
            self.expect("}")
            out, total = 0, 0
            for v, w in parts:
                out, total = (out << w) | (v & ((1 << w) - 1)), total + w
            return out, total
        raise ValueError("unexpected %r in %r" % (s, self.text))

    def unary(self):
        kind, s = self.peek()
        if kind == "op" and s in "-+!~":
            self.take()
            v, w = self.unary()
            if s == "-":
                return -v, None
            if s == "!":
                return int(v == 0), None
            if s == "~":
                return ((~v) & ((1 << w) - 1) if w else ~v), w
            return v, w
        return self.primary()

    def binary(self, minprec):
        a, aw = self.unary()
        while True:
            kind, s = self.peek()
            prec = BIN.get(s) if kind == "op" else None
            if prec is None or prec < minprec:
                return a, aw
            self.take()
            b, _ = self.binary(prec + 1)
            if s in ("/", "%"):
                q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
                a = q if s == "/" else a - q * b
            elif s == "**":
                a = a ** b
            elif s in ("&&", "||"):
                a = int((a != 0 and b != 0) if s == "&&" else (a != 0 or b != 0))
            else:
                a = int(eval("a %s b" % {"<<<": "<<", ">>>": ">>"}.get(s, s)))
            aw = None

    def expr(self):
        c = self.binary(1)
        if self.peek() == ("op", "?"):
            self.take()
            a = self.expr()
            self.expect(":")
            b = self.expr()
            return a if c[0] else b
        return c

    def value(self):
        v = self.expr()[0]
        if self.peek()[0] != "eof":
            raise ValueError("trailing text in %r" % self.text)
        return v


def scaled(text):
    """1.4 to 2009: [+-] decimal or 0x/# hex, with an optional K/M/G/T (x1024^n)."""
    t = text.strip()
    m = re.fullmatch(r"([+-]?)(0[xX][0-9a-fA-F]+|#[0-9a-fA-F]+|\d+)([kKmMgGtT]?)", t)
    if not m:
        raise ValueError("not a scaled integer: %r" % text)
    body = m.group(2)
    v = int(body[2:], 16) if body[:2].lower() == "0x" else int(body[1:], 16) if body[0] == "#" else int(body)
    v <<= {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[m.group(3).lower()]
    return -v if m.group(1) == "-" else v


DEFS = {"fieldDefinitionRef": ("fieldDefinitions", "fieldDefinition"),
        "registerDefinitionRef": ("registerDefinitions", "registerDefinition"),
        "registerFileDefinitionRef": ("registerFileDefinitions", "registerFileDefinition"),
        "addressBlockDefinitionRef": ("addressBlockDefinitions", "addressBlockDefinition")}


class Reader:
    def __init__(self, path):
        self.path = path
        self.tree = ET.parse(path)
        root = self.tree.getroot()
        self.ns = root.tag[1:].split("}")[0]
        self.gen = NAMESPACES[self.ns]
        self.params, self.cache = {}, {}
        self.doc_of = {}  # element -> the root of the document it is in (type definitions)
        self.add_params(root)
        self.root = root

    def add_params(self, root):
        cache = self.cache
        for p in root.iter():
            if p.tag in (self.q("parameter"), self.q("moduleParameter")) and p.get("parameterId"):
                v = p.find(self.q("value"))
                pid = p.get("parameterId")

                def make(text, pid=pid):
                    def get():
                        if pid not in cache:
                            cache[pid] = Expr(text, self.params).value()
                        return cache[pid]
                    return get
                self.params[pid] = make(v.text)
                name = p.find(self.q("name"))
                if name is not None and name.text.strip() not in self.params:
                    self.params[name.text.strip()] = self.params[pid]

    def typedoc(self, vlnv):
        folder = os.path.dirname(self.path) or "."
        for f in sorted(glob.glob(os.path.join(folder, "*.xml"))):
            try:
                r = ET.parse(f).getroot()
            except ET.ParseError:
                continue
            if r.tag == self.q("typeDefinitions") and tuple(self.text(r, t) for t in (
                    "vendor", "library", "name", "version")) == vlnv:
                if r not in self.doc_of.values():
                    for e in r.iter():
                        self.doc_of[e] = r
                    self.add_params(r)
                return r
        raise ValueError("no typeDefinitions %r" % (vlnv,))

    def resolve(self, node):
        """node, or node completed by the definition its *DefinitionRef names."""
        if self.gen < 2022:
            return node
        ref = next((k for k in node if k.tag in {self.q(t) for t in DEFS}), None)
        if ref is None:
            return node
        lists, one = DEFS[ref.tag.split("}")[1]]
        holder = self.doc_of.get(node, self.root)
        scope = holder.find(self.q("typeDefinitions")) if holder is self.root else holder
        doc = holder
        for e in (scope if scope is not None else []):
            if e.tag == self.q("externalTypeDefinitions") and self.text(e, "name") == ref.get("typeDefinitions"):
                r = e.find(self.q("typeDefinitionsRef"))
                doc = self.typedoc(tuple(r.get(t) for t in ("vendor", "library", "name", "version")))
        want = ref.text.strip()
        defs = [d for ls in self.kids(doc, lists) for d in self.kids(ls, one) if self.text(d, "name") == want]
        if not defs:
            raise ValueError("no %s %s" % (one, ref.text))
        merged = ET.Element(node.tag)
        have = set()
        for k in node:
            if k is not ref:
                merged.append(k)
                have.add(k.tag)
        for k in defs[0]:
            if k.tag not in have or k.tag in (self.q("field"), self.q("register"), self.q("registerFile")):
                merged.append(k)
        self.doc_of[merged] = self.doc_of.get(node, self.root)
        return merged

    def aliased(self, alias):
        """The field an aliasOf names (addressBlockRef, registerFileRef*, registerRef, fieldRef)."""
        def named(parent, tag, name):
            return next(self.resolve(k) for k in self.kids(parent, tag) if self.text(k, "name") == name)
        bref = alias.find(self.q("addressBlockRef"))
        holder = self.block_node
        if bref is not None:
            holder = [b for b in self.map_node.iter(self.q("addressBlock"))
                      if self.text(b, "name") == bref.get("addressBlockRef")][0]
        holder = self.resolve(holder)
        for fr in self.kids(alias, "registerFileRef"):
            holder = named(holder, "registerFile", fr.get("registerFileRef"))
        reg = named(holder, "register", alias.find(self.q("registerRef")).get("registerRef"))
        return named(reg, "field", alias.find(self.q("fieldRef")).get("fieldRef"))

    def q(self, tag):
        return "{%s}%s" % (self.ns, tag)

    def kids(self, node, tag):
        return node.findall(self.q(tag))

    def text(self, node, tag):
        k = node.find(self.q(tag))
        return None if k is None or k.text is None else k.text.strip()

    def num(self, text):
        return Expr(text, self.params).value() if self.gen >= 2014 else scaled(text)

    def access(self, node):
        pol = node.find(self.q("accessPolicies")) or node.find(self.q("fieldAccessPolicies"))
        if pol is not None:
            plist = list(pol)
            plain = [p for p in plist if p.find(self.q("modeRef")) is None]
            for p in plain + plist:
                a = self.text(p, "access")
                if a:
                    return a
        return self.text(node, "access")

    def dims(self, node):
        holder = node.find(self.q("array"))
        holder = node if holder is None else holder
        dims = [self.num(d.text) for d in self.kids(holder, "dim")]
        if dims == [0]:
            dims = []
        stride = self.text(holder, "stride")
        return dims, (self.num(stride) if stride else None)

    @staticmethod
    def indices(dims):
        out = [("", 0)]
        for d in dims:
            out = [(s + "[%d]" % i, f * d + i) for (s, f) in out for i in range(d)]
        return out

    def present(self, node):
        p = self.text(node, "isPresent")
        return p is None or self.num(p) != 0

    def register(self, reg, base, prefix, inherited, out):
        if not self.present(reg):
            return
        reg = self.resolve(reg)
        name = prefix + self.text(reg, "name")
        bits = self.num(self.text(reg, "size"))
        offset = self.num(self.text(reg, "addressOffset"))
        acc = self.access(reg) or inherited
        fields, reset, field_reset = [], 0, False
        for f in self.kids(reg, "field"):
            if not self.present(f):
                continue
            f = self.resolve(f)
            alias = f.find(self.q("aliasOf"))
            data = self.aliased(alias) if alias is not None else f
            lsb, width = self.num(self.text(f, "bitOffset")), self.num(self.text(data, "bitWidth"))
            facc = self.access(f) or acc or "read-write"
            fields.append((lsb, self.text(f, "name"), width, facc))
            resets = data.find(self.q("resets"))
            if resets is not None:
                rs = self.kids(resets, "reset")
                plain = [r for r in rs if r.find(self.q("resetTypeRef")) is None]
                r = (plain + rs)[0]
                reset |= (self.num(self.text(r, "value")) & ((1 << width) - 1)) << lsb
                field_reset = True
        r = reg.find(self.q("reset"))
        if r is not None and not field_reset:
            reset = self.num(self.text(r, "value"))
            if self.text(r, "mask"):
                reset &= self.num(self.text(r, "mask"))
        reset &= (1 << bits) - 1
        own = self.access(reg)
        if fields and own and BARLUA[own] != "rw":
            # A register that says read-only or write-only is that, whatever its fields say.
            barlua = BARLUA[own]
        elif fields:
            kinds = {BARLUA[f[3]] for f in fields}
            readable = bool(kinds & {"ro", "rw"})
            writable = bool(kinds & {"wo", "rw"})
            barlua = "rw" if readable and writable else "ro" if readable else "wo"
        else:
            barlua = BARLUA[acc or "read-write"]
        dims, stride = self.dims(reg)
        stride = stride if stride is not None else -(-bits // self.aub)
        fs = ",".join("%s@%d+%d:%s" % (n, l, w, a) for (l, n, w, a) in sorted(fields))
        for suffix, flat in self.indices(dims):
            addr = (base + offset + flat * stride) * self.aub // 8
            out.append((addr, name + suffix, "0x%x %d %s access=%s barlua=%s reset=0x%x fields=%s" % (
                addr, bits, name + suffix, acc or "-", barlua, reset, fs)))

    def contents(self, node, base, prefix, acc, out):
        for k in node:
            try:
                self.element(k, base, prefix, acc, out)
            except (ValueError, StopIteration, IndexError, AttributeError):
                pass  # a register or register file that cannot be read is left out

    def element(self, k, base, prefix, acc, out):
        if k.tag == self.q("register"):
            self.register(k, base, prefix, acc, out)
        elif k.tag == self.q("registerFile") and self.present(k):
            k = self.resolve(k)
            off = self.num(self.text(k, "addressOffset"))
            dims, stride = self.dims(k)
            stride = stride if stride is not None else self.num(self.text(k, "range"))
            name = prefix + self.text(k, "name")
            for suffix, flat in self.indices(dims):
                self.contents(k, base + off + flat * stride, name + suffix + ".", self.access(k) or acc, out)

    def block(self, b, at, only, out):
        base = self.num(self.text(b, "baseAddress")) if at is None else at
        self.block_node = b
        b = self.resolve(b)
        rng = self.num(self.text(b, "range")) if self.text(b, "range") else None
        if self.present(b) and (only is None or self.text(b, "name") == only):
            mine = []
            self.contents(b, base, "", self.access(b), mine)
            self.loaded.append((self.text(b, "name"), mine))
        return rng

    def bank(self, bank, at, only, out):
        base = self.num(self.text(bank, "baseAddress")) if at is None else at
        serial = bank.get(self.q("bankAlignment"), bank.get("bankAlignment")) == "serial"
        pos, total = base, 0
        for k in bank:
            r = None
            if k.tag == self.q("addressBlock"):
                r = self.block(k, pos, only, out)
            elif k.tag == self.q("bank"):
                r = self.bank(k, pos, only, out)
            if r is not None:
                pos, total = (pos + r, total + r) if serial else (pos, max(total, r))
        return total

    def read(self, map_name=None, only=None):
        maps = self.root.find(self.q("memoryMaps"))
        mlist = self.kids(maps, "memoryMap")
        m = [x for x in mlist if map_name is None or self.text(x, "name") == map_name][0]
        self.map_node = m
        aub = self.text(m, "addressUnitBits")
        self.aub = self.num(aub) if aub else 8
        out, self.loaded = [], []
        for k in m:
            if k.tag == self.q("addressBlock"):
                self.block(k, None, only, out)
            elif k.tag == self.q("bank"):
                self.bank(k, None, only, out)
        # With several address blocks loaded, names carry their block's name first.
        for block, regs in self.loaded:
            for addr, name, line in regs:
                if len(self.loaded) > 1:
                    parts = line.split(" ")
                    parts[2] = block + "." + parts[2]
                    name, line = block + "." + name, " ".join(parts)
                out.append((addr, name, line))
        return [line for (_, _, line) in sorted(out)]


if __name__ == "__main__":
    args = sys.argv[1:]
    print("\n".join(Reader(args[0]).read(*(args[1:] + [None, None])[:2])))

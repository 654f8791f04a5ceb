#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Is a PNG blank?  png-ink.py FILE.png MIN_INK

Decodes the PNG with zlib alone (8-bit RGB or RGBA, not interlaced: what
Chromium's screenshots are), takes the top-left pixel as the background,
and counts the pixels that differ from it and their distinct colours.
Passes (exit 0) with more than MIN_INK such pixels in more than one
colour; prints "WxH: N ink pixels, M colours" either way.
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG: depth %d colour type %d interlace %d" %
                         (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xff
            elif f == 2:
                line[i] = (line[i] + b) & 0xff
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 0xff
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    path, min_ink = sys.argv[1], int(sys.argv[2])
    try:
        w, h, bpp, rows = decode(path)
    except (OSError, ValueError, zlib.error, struct.error, TypeError) as e:
        print("%s: %s" % (path, e))
        sys.exit(1)
    bg = rows[0][0:3]
    ink, colours = 0, set()
    for r in rows:
        for x in range(0, w * bpp, bpp):
            px = r[x:x + 3]
            if px != bg:
                ink += 1
                if len(colours) < 1000:
                    colours.add(px)
    print("%dx%d: %d ink pixels, %d colours" % (w, h, ink, len(colours)))
    sys.exit(0 if ink > min_ink and len(colours) > 1 else 1)


main()

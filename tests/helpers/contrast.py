#!/usr/bin/python3
"""The contrast of every text on a rentark screen, measured from a screenshot (WCAG 2.x
relative luminance and contrast ratio), for each text the client's --debug-dump places:

    contrast.py SCREEN.png DUMP [MIN]

For each "layout KIND X Y W H FIT UNKNOWN shown ..." line of DUMP (a text on screen), the region of the screenshot is read: its
background is its most frequent colour, its text colour the colour (seen on at least 4 pixels,
so that the edge of a glyph does not count) that differs most from the background. Prints
"KIND X Y RATIO" per text and "min RATIO" last; exit 1 when a ratio is below MIN (4.5, the
WCAG AA threshold for normal text), 2 when no text could be measured.
"""
import sys
from collections import Counter

from PIL import Image


def luminance(rgb):
    def chan(c):
        c = c / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (chan(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a, b):
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def measure(img, x, y, w, h):
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, img.width), min(y + h, img.height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    counts = Counter(img.crop((x0, y0, x1, y1)).getdata())
    bg, _ = counts.most_common(1)[0]
    best = None
    for colour, n in counts.items():
        if n >= 4 and colour != bg:
            r = ratio(colour, bg)
            if best is None or r > best:
                best = r
    return best


def main(argv):
    png, dump = argv[1], argv[2]
    minimum = float(argv[3]) if len(argv) > 3 else 4.5
    img = Image.open(png).convert("RGB")
    worst = None
    for line in open(dump, encoding="utf-8"):
        f = line.split()
        if len(f) < 9 or f[0] != "layout" or f[8] != "shown":
            continue
        kind = f[1]
        x, y, w, h = (int(v) for v in f[2:6])
        r = measure(img, x, y, w, h)
        if r is None:
            continue
        print(f"{kind} {x} {y} {r:.2f}")
        worst = r if worst is None else min(worst, r)
    if worst is None:
        print("min none")
        return 2
    print(f"min {worst:.2f}")
    return 0 if worst >= minimum else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

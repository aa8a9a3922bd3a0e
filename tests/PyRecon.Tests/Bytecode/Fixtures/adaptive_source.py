# Functions warmed up until the specializing interpreter (3.11+) quickens them; dump_code.py adaptive
# captures co_code and _co_code_adaptive of each. Regenerate with Fixtures/capture_adaptive.sh.
import math


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return math.sqrt(self.x * self.x + self.y * self.y)


class Box:
    def __init__(self, v):
        self.v = v

    @property
    def prop(self):
        return self.v


def arith(a, b):
    c = a + b
    d = a - b
    e = a * b
    f = c / (d or 1)
    g = a + 1.5
    s = "x" + str(a)
    s += "y"
    return c, d, e, f, g, s


def attrs(p, box, items):
    total = 0
    for it in items:
        total += p.norm() + box.v + box.prop + len(it) + math.pi
        box.v = total
        p.x = 1
    return total


def compare(a, b, xs):
    n = 0
    if a < b:
        n += 1
    if a == b or a != 3:
        n += 2
    if 1.0 < a:
        n += 3
    if "k" == str(b):
        n += 4
    if a in xs and b not in xs:
        n += 5
    if a is None or xs is not None:
        n += 6
    return n


def loops(xs, d):
    out = []
    for i in range(len(xs)):
        out.append(xs[i])
    for x in xs:
        out.append(x)
    for t in (1, 2, 3):
        out.append(t)
    for k in d:
        out.append(d[k])
    a, b = 1, 2
    c, e = xs[0], xs[1]
    [q, r] = [a, b]
    return out, a, b, c, e, q, r, isinstance(xs, list), type(xs), tuple(xs)


def calls(xs):
    def inner(a, b=2):
        return a + b
    r = inner(1) + inner(1, 2) + max(xs) + abs(-1)
    s = "a,b".split(",")
    return r, s, str(r), [len(s)], globals() is not None


def big(x):
    # Enough constants for EXTENDED_ARG in the quickened code too
    y = 0
    if x:
        y += 0.125
        y += 1.125
        y += 2.125
        y += 3.125
        y += 4.125
        y += 5.125
        y += 6.125
        y += 7.125
        y += 8.125
        y += 9.125
        y += 10.125
        y += 11.125
        y += 12.125
        y += 13.125
        y += 14.125
        y += 15.125
        y += 16.125
        y += 17.125
        y += 18.125
        y += 19.125
        y += 20.125
        y += 21.125
        y += 22.125
        y += 23.125
        y += 24.125
        y += 25.125
        y += 26.125
        y += 27.125
        y += 28.125
        y += 29.125
        y += 30.125
        y += 31.125
        y += 32.125
        y += 33.125
        y += 34.125
        y += 35.125
        y += 36.125
        y += 37.125
        y += 38.125
        y += 39.125
        y += 40.125
        y += 41.125
        y += 42.125
        y += 43.125
        y += 44.125
        y += 45.125
        y += 46.125
        y += 47.125
        y += 48.125
        y += 49.125
        y += 50.125
        y += 51.125
        y += 52.125
        y += 53.125
        y += 54.125
        y += 55.125
        y += 56.125
        y += 57.125
        y += 58.125
        y += 59.125
        y += 60.125
        y += 61.125
        y += 62.125
        y += 63.125
        y += 64.125
        y += 65.125
        y += 66.125
        y += 67.125
        y += 68.125
        y += 69.125
        y += 70.125
        y += 71.125
        y += 72.125
        y += 73.125
        y += 74.125
        y += 75.125
        y += 76.125
        y += 77.125
        y += 78.125
        y += 79.125
        y += 80.125
        y += 81.125
        y += 82.125
        y += 83.125
        y += 84.125
        y += 85.125
        y += 86.125
        y += 87.125
        y += 88.125
        y += 89.125
        y += 90.125
        y += 91.125
        y += 92.125
        y += 93.125
        y += 94.125
        y += 95.125
        y += 96.125
        y += 97.125
        y += 98.125
        y += 99.125
        y += 100.125
        y += 101.125
        y += 102.125
        y += 103.125
        y += 104.125
        y += 105.125
        y += 106.125
        y += 107.125
        y += 108.125
        y += 109.125
        y += 110.125
        y += 111.125
        y += 112.125
        y += 113.125
        y += 114.125
        y += 115.125
        y += 116.125
        y += 117.125
        y += 118.125
        y += 119.125
        y += 120.125
        y += 121.125
        y += 122.125
        y += 123.125
        y += 124.125
        y += 125.125
        y += 126.125
        y += 127.125
        y += 128.125
        y += 129.125
        y += 130.125
        y += 131.125
        y += 132.125
        y += 133.125
        y += 134.125
        y += 135.125
        y += 136.125
        y += 137.125
        y += 138.125
        y += 139.125
        y += 140.125
        y += 141.125
        y += 142.125
        y += 143.125
        y += 144.125
        y += 145.125
        y += 146.125
        y += 147.125
        y += 148.125
        y += 149.125
        y += 150.125
        y += 151.125
        y += 152.125
        y += 153.125
        y += 154.125
        y += 155.125
        y += 156.125
        y += 157.125
        y += 158.125
        y += 159.125
        y += 160.125
        y += 161.125
        y += 162.125
        y += 163.125
        y += 164.125
        y += 165.125
        y += 166.125
        y += 167.125
        y += 168.125
        y += 169.125
        y += 170.125
        y += 171.125
        y += 172.125
        y += 173.125
        y += 174.125
        y += 175.125
        y += 176.125
        y += 177.125
        y += 178.125
        y += 179.125
        y += 180.125
        y += 181.125
        y += 182.125
        y += 183.125
        y += 184.125
        y += 185.125
        y += 186.125
        y += 187.125
        y += 188.125
        y += 189.125
        y += 190.125
        y += 191.125
        y += 192.125
        y += 193.125
        y += 194.125
        y += 195.125
        y += 196.125
        y += 197.125
        y += 198.125
        y += 199.125
        y += 200.125
        y += 201.125
        y += 202.125
        y += 203.125
        y += 204.125
        y += 205.125
        y += 206.125
        y += 207.125
        y += 208.125
        y += 209.125
        y += 210.125
        y += 211.125
        y += 212.125
        y += 213.125
        y += 214.125
        y += 215.125
        y += 216.125
        y += 217.125
        y += 218.125
        y += 219.125
        y += 220.125
        y += 221.125
        y += 222.125
        y += 223.125
        y += 224.125
        y += 225.125
        y += 226.125
        y += 227.125
        y += 228.125
        y += 229.125
        y += 230.125
        y += 231.125
        y += 232.125
        y += 233.125
        y += 234.125
        y += 235.125
        y += 236.125
        y += 237.125
        y += 238.125
        y += 239.125
        y += 240.125
        y += 241.125
        y += 242.125
        y += 243.125
        y += 244.125
        y += 245.125
        y += 246.125
        y += 247.125
        y += 248.125
        y += 249.125
        y += 250.125
        y += 251.125
        y += 252.125
        y += 253.125
        y += 254.125
        y += 255.125
        y += 256.125
        y += 257.125
        y += 258.125
        y += 259.125
        y += 260.125
        y += 261.125
        y += 262.125
        y += 263.125
        y += 264.125
        y += 265.125
        y += 266.125
        y += 267.125
        y += 268.125
        y += 269.125
        y += 270.125
        y += 271.125
        y += 272.125
        y += 273.125
        y += 274.125
        y += 275.125
        y += 276.125
        y += 277.125
        y += 278.125
        y += 279.125
    return y


FUNCS = [arith, attrs, compare, loops, calls, big, Point.__init__, Point.norm]


def warm():
    p = Point(3, 4)
    box = Box(1)
    for i in range(4000):
        arith(i, i + 1)
        arith(float(i), 2.0)
        attrs(p, box, ["ab", "c"])
        compare(i, i + 1, [1, 2, 3])
        compare(1.5, 2.5, (1.5,))
        loops([1, 2, 3], {"a": 1})
        calls([1, 2, 3])
        big(i)

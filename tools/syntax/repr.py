"""PythonServer helper: repr() of a value sent as JSON (constants_codec encoding).
Response: base64 of the UTF-8 repr (base64 keeps backslashes out of the line protocol)."""
import base64
import json
import struct
import unicodedata


def _float(bits):
    return struct.unpack('>d', bytes.fromhex(bits))[0]


def handle(line):
    e = json.loads(line)
    t = e['t']
    if t == 'unassigned':
        # Code points this interpreter's Unicode database does not know (their printability is version-bound).
        return ','.join(str(c) for c in e['v'] if unicodedata.category(chr(c)) == 'Cn')
    if t == 'identifier':
        import keyword
        text = ''.join(map(chr, e['v']))
        return 'yes' if text.isidentifier() and not keyword.iskeyword(text) else 'no'
    if t == 'str':
        value = ''.join(map(chr, e['v']))
    elif t == 'bytes':
        value = bytes.fromhex(e['v'])
    elif t == 'float':
        value = _float(e['v'])
    elif t == 'complex':
        value = complex(_float(e['re']), _float(e['im']))
    else:
        raise ValueError(t)
    return base64.b64encode(repr(value).encode('utf-8', 'surrogatepass')).decode('ascii')

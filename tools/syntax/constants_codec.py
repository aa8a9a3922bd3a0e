"""Exact JSON encoding of constant values, shared by the stdlib constant scripts (3.8+ compatible).
float -> 64-bit pattern (NaNs as 'nan', since the sign of a NaN is not kept), str -> code points
(so lone surrogates survive), int -> hex text (Python limits decimal conversion of huge ints)."""
import struct


def _bits(x):
    if x != x:
        return 'nan'
    return struct.pack('>d', x).hex()


def encode(value):
    t = type(value)
    if value is None:
        return {'t': 'none'}
    if value is Ellipsis:
        return {'t': 'ellipsis'}
    if t is bool:
        return {'t': 'bool', 'v': value}
    if t is int:
        return {'t': 'int', 'v': hex(value)}
    if t is float:
        return {'t': 'float', 'v': _bits(value)}
    if t is complex:
        return {'t': 'complex', 're': _bits(value.real), 'im': _bits(value.imag)}
    if t is str:
        return {'t': 'str', 'v': [ord(c) for c in value]}
    if t is bytes:
        return {'t': 'bytes', 'v': value.hex()}
    if t is tuple:
        return {'t': 'tuple', 'v': [encode(v) for v in value]}
    if t is frozenset:
        return {'t': 'frozenset', 'v': [encode(v) for v in value]}
    raise TypeError('not a constant: %r' % (t,))


def canonical(encoded):
    """Order-free form for comparing: frozenset items sorted."""
    import json
    if encoded['t'] == 'frozenset':
        items = sorted(json.dumps(canonical(v), sort_keys=True) for v in encoded['v'])
        return {'t': 'frozenset', 'v': items}
    if encoded['t'] == 'tuple':
        return {'t': 'tuple', 'v': [canonical(v) for v in encoded['v']]}
    return encoded

"""Print this interpreter's str/bytes hash as `pyrecon dis --hash` takes it: ALGORITHM:BITS (sys.hash_info)."""
import sys
print('%s:%d' % (sys.hash_info.algorithm, sys.hash_info.width))

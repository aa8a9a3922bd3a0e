"""Print the "file" of every line of a pyc_view.py output, in order."""
import json, sys
for line in open(sys.argv[1], encoding='utf-8'):
    print(json.loads(line)['file'])

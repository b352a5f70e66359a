"""python3 tests/boots/__main__.py: check the boot-test table alone.
Importing the package checks it (check_table); a mistake is printed on
stderr and the exit status is 1.  (`python3 tests/boots` runs this too,
but imports this file before it can turn bytecode off, leaving
tests/boots/__pycache__/ behind.)"""

import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS_DIR))  # boots, and emu (table.py's checks)
sys.dont_write_bytecode = True      # no __pycache__ in the work tree

try:
    from boots import BOOT_TESTS
except ValueError as e:
    if not isinstance(e, sys.modules["boots.table"].TableError):
        raise
    print(e, file=sys.stderr)
    sys.exit(1)

print(f"boots: {len(BOOT_TESTS)} tests, "
      f"{sum(len(t.subtests) for t in BOOT_TESTS)} subtests, 0 problems")

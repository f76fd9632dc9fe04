"""`python -m modelguard.lab.exercise.fresh FD`: one check in this fresh interpreter.

Nothing imports this module: it is the entry point of the process `conductor.isolated`
starts, so that the check never runs in the kernel that asked for it.
"""

from modelguard.lab.exercise.conductor import main

if __name__ == "__main__":
    main()

"""Entry of ``python -m medcost.registry status|rollback``."""

from medcost.registry.cli import main

if __name__ == "__main__":
    main()

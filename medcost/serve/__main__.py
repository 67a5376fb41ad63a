"""Entry of ``python -m medcost.serve``."""

from medcost.serve.serve import main

if __name__ == "__main__":
    main()

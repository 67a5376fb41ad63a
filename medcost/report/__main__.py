"""Entry of ``python -m medcost.report --base main``."""

from medcost.report.report import main

if __name__ == "__main__":
    main()

"""``python -m medcost.demo_data [--url URL] [--clients N] ... [--if-missing]``: generate the demo source."""

from medcost.demo_data.cli import main

if __name__ == "__main__":
    main()

"""medcost: predict each insured client's medical cost for next year."""

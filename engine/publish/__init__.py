"""Publishing: small-number suppression and the files and tables people outside the costing team see."""

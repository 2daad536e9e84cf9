"""What every area shares: the one settings module (the only reader of the environment) and the contracts that cross processes."""

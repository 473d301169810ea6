"""Data files the simulator ships: key lists extracted once from the documented insights sample."""

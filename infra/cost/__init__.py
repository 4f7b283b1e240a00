"""What a stack costs per month, offline: the plan's resources priced from one dated table.

`python -m infra.plan --stack aws --cost` prices one stack; `python -m infra.cost` (make cost)
every stack x compute mode at its defaults. Prices live in `prices.py`, each with its source
page, region and the date it was read; a price the stored pages did not give is `None` and is
printed as unpriced rather than guessed.
"""

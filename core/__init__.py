"""The ground floor (DESIGN §7, layer 1): domain errors, the clock, the ID/USCC/phone validators and the input
cleaner. Plain helpers that import nothing of the project, so every other layer can use them."""

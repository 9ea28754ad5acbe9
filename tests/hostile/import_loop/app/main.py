# An infinite loop at import: the app never becomes ready.
while True:
    pass

from mldebt.cli.main import main

main()

from dbrun.cli import main

main()

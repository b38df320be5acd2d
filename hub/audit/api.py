from flask_openapi3 import APIBlueprint

api = APIBlueprint("audit", __name__)

from flask_openapi3 import APIBlueprint

api = APIBlueprint("auth", __name__)

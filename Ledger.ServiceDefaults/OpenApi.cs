using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Ledger.ServiceDefaults;

public static class OpenApi
{
    public static IServiceCollection AddLedgerOpenApi(this IServiceCollection services, string serviceName)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Ledger " + serviceName,
                Version = "v1",
                Description = "Errors are RFC 9457 application/problem+json with a stable `code`; see docs/api.md.",
            });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "In the embedded mode, get one from POST /v1/dev/tokens.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference("bearer", document)] = [],
            });
        });
        return services;
    }

    public static WebApplication UseLedgerOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o => o.RoutePrefix = "swagger");
        return app;
    }
}

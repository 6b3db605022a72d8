using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Gatehouse.Identity.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class ClientIdPagingIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_oidc_applications_ClientId_bytes",
                table: "oidc_applications",
                column: "ClientId")
                .Annotation("Relational:Collation", new[] { "C" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_oidc_applications_ClientId_bytes",
                table: "oidc_applications");
        }
    }
}
